"""One error family with a user-facing one-line message and an exit code.

The CLI catches `SfenvError` at the top and prints `error: <message>`; anything else is a bug
and shows a traceback only with --debug. Exit codes follow CONVENTIONS.md:
0 ok, 1 differences found where asked to fail, 2 usage/configuration/input, 3 Salesforce/network.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_DIFF = 1
EXIT_USAGE = 2
EXIT_ORG = 3
EXIT_VERIFY = 4  # deployed (or rolled back), but the target does not hold what was deployed


class SfenvError(Exception):
    """Base: a problem the user can act on. `str(err)` is the one-line message."""

    exit_code: int = EXIT_USAGE


class ConfigError(SfenvError):
    """sfenv.yml is missing, malformed or inconsistent (message names file:line)."""


class MetadataError(SfenvError):
    """A metadata file, package.xml or zip is malformed or hostile (message names the file)."""


class StoreError(SfenvError):
    """The snapshot repository refused an operation (ref moved, lock held, unknown ref)."""


class OrgError(SfenvError):
    """Salesforce (or the local org) answered with an error, or could not be reached."""

    exit_code = EXIT_ORG

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code  # e.g. "INVALID_SESSION_ID", "REQUEST_LIMIT_EXCEEDED"


class AuthError(OrgError):
    """Login failed or credentials are missing."""


class ReleaseError(SfenvError):
    """A release train cannot be planned, built or promoted as asked."""


class DependencyError(ReleaseError):
    """A component of a package references something neither packaged nor in the target."""


class ChecklistError(SfenvError):
    """A checklist rule or template is broken (message names the rule)."""


class RequestLimitError(OrgError):
    """The org's API request limit is used up (REQUEST_LIMIT_EXCEEDED): nothing to retry or
    split; the pull stops and leaves the environment's ref where it was."""


class SessionExpiredError(AuthError):
    """The session expired and cannot be renewed (an access token has no refresh)."""


class DeployUnknownError(OrgError):
    """A deploy the org accepted could not be followed to its end: its outcome is unknown.

    Carries the deploy id so the caller can ask for its status later; the same package must
    never be submitted again meanwhile (on Salesforce both deploys would run)."""

    def __init__(self, message: str, *, deploy_id: str, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.deploy_id = deploy_id


class SubmitUnknownError(OrgError):
    """A deploy submit whose answer was lost (5xx, connection closed, or "already deployed"):
    the org may have accepted it. Never answered by another submit: the caller asks the org
    which deploys exist (`recent_deploys`) and follows the one that ran."""

    ambiguous = True


class OrgIdentityError(ConfigError):
    """An environment's org answered with another org id than the one recorded (exit 2)."""
