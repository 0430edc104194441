"""CI for teams: pipeline files written from sfenv.yml (`sfenv ci init`)."""
