"""What sfenv records beside the snapshots, each on its own ref of the store: the base of a
hop (`refs/sfenv/sync/<A>/<B>`, written by promotions and `sfenv sync-point`) and who made
the changes a promotion brought into an environment (`refs/sfenv/origins/<ENV>`).

`compare` computes what a record holds and reads records back; this layer writes them, so
comparing never moves a ref.
"""
