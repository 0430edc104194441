"""REST API of the local org: versions, query and tooling query (SOQL subset), sobjects, limits,
REST deploys (`metadata/deployRequest`) and GroupMember data. Entry: `api.RestApi`."""
