"""The commented sfenv.yml that `sfenv init` writes."""

TEMPLATE = """\
# sfenv.yml: your Salesforce environments, the promotion path and the team's policy.
# Secrets never go here: name the environment variables (or files) that hold them.
project: {project}
api_version: "62.0"           # one API version for the whole project

environments:
  dev:
    login_url: https://test.salesforce.com   # or your My Domain URL
    username: admin@acme.com.dev
    password_env: SFENV_DEV_PASSWORD         # password; append the security token or use token_env
    token_env: SFENV_DEV_TOKEN
    owner: Dev Team
    purpose: development sandbox
    values:                                  # environment-specific values, neutralised in diffs
      billing_endpoint: https://api.dev.billing.example
  qa:
    sfdx_url_env: SFENV_QA_AUTH_URL           # force://clientId:secret:refreshToken@instance (CI)
    owner: QA Lead
  prod:
    jwt:                                     # JWT bearer: connected app + certificate
      client_id: 3MVG9...
      username: release.bot@acme.com
      key_file: ~/.sfenv/server.key
      login_url: https://login.salesforce.com
    production: true
    owner: Release Manager
    test_level: RunLocalTests
    strict: true                             # refuse promotion while "before" steps are open

path: [dev, qa, prod]          # a stage may hold several envs: [[dev1, dev2], qa, prod]

manifest: default              # default (every type) | core | backup | a package.xml path
exclude: []                    # Type:Name globs never pulled, e.g. "Report:Scratch/*"
manual_types: []               # types the team keeps manual, e.g. [Role, "Group:*"]
include_managed: false         # managed-package components are left out by default
pull:
  chunk_size: 2500             # members per retrieve; halves on size limits
  parallel: 3                  # retrieves in flight at once
# metadata_types:              # types sfenv's registry lacks, or a known type's facts changed
#   BotBlueprint: {{directory: botBlueprints, suffix: blueprint, strategy: xml}}
#   ApexClass: {{suffix: cls}}   # strategy: xml | content | bundle | folder
"""
