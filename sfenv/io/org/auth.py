"""Credentials -> a Salesforce session (instance URL + session id).

simple-salesforce's own login helpers only build `https://<domain>.salesforce.com` URLs, so the
login calls are made here against the configured URL (Salesforce's, a My Domain, or the local
org), and the session is handed to simple-salesforce. Secrets are read from environment
variables or files named in sfenv.yml, used once, and never logged.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import requests
from lxml import etree
from requests.adapters import HTTPAdapter

from sfenv.config.model import EnvConfig
from sfenv.errors import AuthError, ConfigError, OrgError

if TYPE_CHECKING:
    from requests.sessions import _Settings

DEFAULT_LOGIN_URL = "https://login.salesforce.com"
HTTP_TIMEOUT = (10, 120)
TRANSIENT_STATUS = {500, 502, 503, 504}


class TransientLoginError(OrgError):
    """The login endpoint answered 5xx or dropped the connection: worth another try."""


@dataclass(frozen=True)
class Session:
    instance_url: str
    session_id: str
    username: str | None = None
    org_id: str | None = None

    def __repr__(self) -> str:  # keep the session id out of logs and tracebacks
        return f"Session(instance_url={self.instance_url!r}, username={self.username!r})"


class _PinnedCAAdapter(HTTPAdapter):
    """Verifies TLS against one CA file whatever the environment says.

    requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override `Session.verify` for every call,
    so a configured ca_file must be applied where the connection is made.
    """

    def __init__(self, ca_file: str) -> None:
        self._ca_file = ca_file
        super().__init__()

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: float | tuple[float, float] | tuple[float, None] | None = None,
             verify: bool | str = True,
             cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
             proxies: Mapping[str, str] | None = None) -> requests.Response:
        """`HTTPAdapter.send` with `verify` always the pinned CA file."""
        return super().send(request, stream=stream, timeout=timeout, verify=self._ca_file,
                            cert=cert, proxies=proxies)


class _EnvOnceSession(requests.Session):
    """A session that reads the environment's settings for a host once.

    requests looks at the environment again before every request (each proxy variable, read
    by scanning and decoding the whole of `os.environ` twice, then the CA bundle variables);
    a pull makes hundreds of requests to one host, and that scan was ~3 % of a promotion's
    CPU. The answer for a host (scheme and address) is kept for the session's life, which is
    one command's: what it finds is exactly what requests would have found."""

    def __init__(self) -> None:
        super().__init__()
        self._env_settings: dict[tuple[object, ...], _Settings] = {}

    def merge_environment_settings(self, url: str | bytes | None,
                                   proxies: MutableMapping[str, str] | None, stream: bool | None,
                                   verify: bool | str | None,
                                   cert: Any) -> _Settings:
        if not isinstance(url, str) or proxies is None:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        key = (self.trust_env, parts.scheme, parts.netloc, tuple(sorted(proxies.items())),
               stream, verify, cert, tuple(sorted(self.proxies.items())), self.stream,
               self.verify, self.cert)
        try:
            found = self._env_settings[key]
        except (KeyError, TypeError):  # TypeError: a setting that cannot be a key
            found = super().merge_environment_settings(url, dict(proxies), stream, verify,
                                                       cert)
            with contextlib.suppress(TypeError):
                self._env_settings[key] = found
        copy = found.copy()
        copy["proxies"] = dict(found["proxies"])  # the caller may add to it
        return copy


def http_session(env: EnvConfig) -> requests.Session:
    """A requests session trusting the env's ca_file, else REQUESTS_CA_BUNDLE or the system."""
    session = _EnvOnceSession()
    if env.ca_file:
        path = Path(env.ca_file).expanduser()
        if not path.is_file():
            raise AuthError(f"environment '{env.name}': ca_file {path} does not exist")
        session.verify = str(path)
        session.mount("https://", _PinnedCAAdapter(str(path)))
    return session


def login(env: EnvConfig, api_version: str, http: requests.Session,
          timeout: float | None = None) -> Session:
    """Log in with the env's configured method (`timeout`: seconds per HTTP call)."""
    if timeout:
        http.sfenv_timeout = (min(10.0, timeout), timeout)  # type: ignore[attr-defined]
    method = {
        "password": _soap_login,
        "access_token": _access_token,
        "sfdx_url": _sfdx_url,
        "jwt": _jwt_bearer,
        "sf_cli": _sf_cli,
    }[env.auth]
    return method(env, api_version, http)


def _secret(env: EnvConfig, var: str | None, what: str, key: str = "") -> str:
    """The value of the variable sfenv.yml names; unset is a configuration error (exit 2),
    found before any login is tried, so it never reads as a refused password."""
    if not var:
        raise AuthError(f"environment '{env.name}': no {what} configured")
    value = os.environ.get(var)
    if value is None or value == "":
        named = f" (sfenv.yml {key})" if key else ""
        raise ConfigError(f"environment '{env.name}': environment variable {var} ({what}) is "
                          f"not set{named}: export {var}=... before running sfenv")
    return value


def _post(http: requests.Session, url: str, env: EnvConfig,
          **kwargs: Any) -> requests.Response:
    try:
        response = http.post(url, timeout=getattr(http, "sfenv_timeout", HTTP_TIMEOUT), **kwargs)
    except requests.exceptions.SSLError as err:
        raise AuthError(
            f"environment '{env.name}': TLS verification failed for {_host(url)} "
            f"(set ca_file or REQUESTS_CA_BUNDLE): {type(err).__name__}"
        ) from None
    except requests.ConnectionError as err:
        raise TransientLoginError(f"environment '{env.name}': cannot reach {_host(url)}: "
                                  f"{type(err).__name__}") from None
    except requests.RequestException as err:
        raise OrgError(f"environment '{env.name}': cannot reach {_host(url)}: {type(err).__name__}") from None
    if _transient(response):
        raise TransientLoginError(f"environment '{env.name}': login at {_host(url)} answered "
                                  f"HTTP {response.status_code}")
    return response


def _transient(response: requests.Response) -> bool:
    """A 5xx worth retrying: an HTML error page, or a SOAP fault saying the server had a
    passing problem (SOAP faults of a refused login also come as HTTP 500)."""
    if response.status_code not in TRANSIENT_STATUS:
        return False
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(response.content, parser)
    except etree.XMLSyntaxError:
        return True
    code = root.findtext(".//{http://schemas.xmlsoap.org/soap/envelope/}Fault/faultcode") or ""
    return code.rpartition(":")[2] in ("", "UNKNOWN_EXCEPTION", "SERVER_UNAVAILABLE")


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _soap_login(env: EnvConfig, api_version: str, http: requests.Session) -> Session:
    password = _secret(env, env.password_env, "password", "password_env")
    # a declared token_env must be set: without it the login fails as INVALID_LOGIN (exit 3),
    # which sends the user to the password instead of the missing variable
    token = _secret(env, env.token_env, "security token", "token_env") if env.token_env else ""
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:urn="urn:partner.soap.sforce.com"><soapenv:Body><urn:login>'
        f"<urn:username>{escape(env.username or '')}</urn:username>"
        f"<urn:password>{escape(password + token)}</urn:password>"
        "</urn:login></soapenv:Body></soapenv:Envelope>"
    )
    url = f"{(env.login_url or DEFAULT_LOGIN_URL).rstrip('/')}/services/Soap/u/{api_version}"
    response = _post(http, url, env, data=body.encode("utf-8"),
                     headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": "login"})
    root = _parse_soap(response, env)
    ns = {"p": "urn:partner.soap.sforce.com"}
    fault = root.find(".//{http://schemas.xmlsoap.org/soap/envelope/}Fault")
    if fault is not None or response.status_code != 200:
        text = fault.findtext("faultstring") if fault is not None else f"HTTP {response.status_code}"
        raise AuthError(f"environment '{env.name}': login failed for {env.username}: {text}")
    session_id = root.findtext(".//p:result/p:sessionId", namespaces=ns)
    server_url = root.findtext(".//p:result/p:serverUrl", namespaces=ns)
    org_id = root.findtext(".//p:userInfo/p:organizationId", namespaces=ns)
    if not session_id or not server_url:
        raise AuthError(f"environment '{env.name}': login answer had no session")
    return Session(_host(server_url), session_id, env.username, org_id)


def _parse_soap(response: requests.Response, env: EnvConfig) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return etree.fromstring(response.content, parser)
    except etree.XMLSyntaxError:
        raise AuthError(
            f"environment '{env.name}': login answer was not SOAP (HTTP {response.status_code})"
        ) from None


def _access_token(env: EnvConfig, api_version: str, http: requests.Session) -> Session:
    token = _secret(env, env.access_token_env, "access token", "access_token_env")
    return Session((env.instance_url or "").rstrip("/"), token, env.username)


def parse_sfdx_url(url: str) -> tuple[str, str, str, str]:
    """`force://clientId:clientSecret:refreshToken@instance` -> its four parts."""
    if not url.startswith("force://") or "@" not in url:
        raise AuthError("sfdx auth URL must look like force://clientId:clientSecret:refreshToken@instance")
    creds, _, instance = url[len("force://"):].rpartition("@")
    parts = creds.split(":", 2)
    if len(parts) == 2:  # clientId:refreshToken (no secret)
        parts = [parts[0], "", parts[1]]
    if len(parts) != 3 or not parts[0] or not parts[2] or not instance:
        raise AuthError("sfdx auth URL must look like force://clientId:clientSecret:refreshToken@instance")
    if not instance.startswith(("http://", "https://")):
        instance = "https://" + instance
    return parts[0], parts[1], parts[2], instance.rstrip("/")


def _oauth_token(env: EnvConfig, http: requests.Session, url: str, form: dict[str, str]) -> Session:
    response = _post(http, f"{url}/services/oauth2/token", env, data=form,
                     headers={"Accept": "application/json"})
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    if response.status_code != 200 or "access_token" not in payload:
        reason = payload.get("error_description") or payload.get("error") or f"HTTP {response.status_code}"
        raise AuthError(f"environment '{env.name}': OAuth {form['grant_type']} failed: {reason}")
    org_id = None
    identity = payload.get("id", "")
    if "/id/" in identity:
        org_id = identity.split("/id/", 1)[1].split("/")[0]
    username = env.username or _identity_username(http, identity, payload["access_token"])
    return Session(payload["instance_url"].rstrip("/"), payload["access_token"], username, org_id)


def _identity_username(http: requests.Session, identity: str, token: str) -> str | None:
    """Who the token logs in as (the identity URL's `username`), for an auth that names no
    user in sfenv.yml (sfdx auth URL); None when the org does not say (never fails a login)."""
    if not identity.startswith(("https://", "http://")):
        return None
    try:
        response = http.get(identity, headers={"Authorization": f"Bearer {token}",
                                               "Accept": "application/json"},
                            timeout=getattr(http, "sfenv_timeout", HTTP_TIMEOUT))
        name = response.json().get("username") if response.status_code == 200 else None
    except (requests.RequestException, ValueError, AttributeError):
        return None
    return name if isinstance(name, str) and name else None


def _sfdx_url(env: EnvConfig, api_version: str, http: requests.Session) -> Session:
    client_id, secret, refresh, instance = parse_sfdx_url(_secret(env, env.sfdx_url_env, "sfdx auth URL", "sfdx_url_env"))
    form = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": refresh}
    if secret:
        form["client_secret"] = secret
    return _oauth_token(env, http, instance, form)


def _jwt_bearer(env: EnvConfig, api_version: str, http: requests.Session) -> Session:
    import jwt  # pyjwt ships with simple-salesforce

    key_path = Path(env.key_file or "").expanduser()
    if not key_path.is_file():
        raise ConfigError(f"environment '{env.name}': JWT key file {key_path} does not exist")
    login_url = (env.login_url or DEFAULT_LOGIN_URL).rstrip("/")
    claims = {"iss": env.client_id, "sub": env.username, "aud": login_url,
              "exp": int(time.time()) + 180}
    try:
        key = key_path.read_bytes()
    except OSError as err:
        raise ConfigError(f"environment '{env.name}': JWT key file {key_path} cannot be read "
                          f"({err.strerror})") from None
    try:
        assertion = jwt.encode(claims, key, algorithm="RS256")
    except (ValueError, TypeError, jwt.exceptions.PyJWTError) as err:
        raise ConfigError(f"environment '{env.name}': JWT key file {key_path} is not an RSA "
                          f"private key in PEM format ({type(err).__name__})") from None
    form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
    return _oauth_token(env, http, login_url, form)


def _sf_cli(env: EnvConfig, api_version: str, http: requests.Session) -> Session:
    sf = shutil.which("sf")
    if not sf:
        raise AuthError(f"environment '{env.name}': auth sf_cli needs the Salesforce CLI (`sf`) on PATH")
    done = subprocess.run([sf, "org", "display", "--json", "-o", env.sf_alias or ""],
                          capture_output=True, text=True, timeout=120, check=False)
    try:
        result = json.loads(done.stdout).get("result") or {}
    except ValueError:
        result = {}
    if done.returncode != 0 or "accessToken" not in result:
        raise AuthError(f"environment '{env.name}': `sf org display -o {env.sf_alias}` found no login")
    return Session(result["instanceUrl"].rstrip("/"), result["accessToken"],
                   result.get("username"), result.get("id"))
