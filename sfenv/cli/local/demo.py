"""`sfenv demo` (`make demo`): the whole release flow on three local orgs, through the real
CLI over HTTPS.

Starts seeded local orgs (dev, qa, prod) as separate server processes on free loopback ports,
writes a demo sfenv.yml, then runs the commands a release manager would: pull, status, plan,
build, checklist, promote to qa and prod, status again, report. Each step hands the command
and its output to `on_line` as it goes (the CLI prints them) and keeps them in the transcript;
a failing step stops the demo and says which step it was.

A service like the others: it returns the transcript and prints nothing. It lives beside
`sfenv.cli` rather than in a layer because it drives the whole CLI, as a user would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sfenv.errors import EXIT_DIFF, SfenvError

ORGS = {  # env -> seed
    "dev": "acme-dev",
    "qa": "acme-qa",
    "prod": "acme-prod",
}
OWNERS = {"dev": "Dev Team", "qa": "QA Lead", "prod": "Release Manager"}
TRAIN = "R2026.12"


class DemoFailed(SfenvError):
    """A step of the demo failed (the message names the step and the command)."""

    exit_code = EXIT_DIFF


@dataclass
class Demo:
    out: Path
    short: bool = False
    on_line: Callable[[str], None] | None = None
    servers: dict[str, subprocess.Popen] = field(default_factory=dict)
    creds: dict[str, dict] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    step_no: int = 0
    transcript: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        self.transcript.append(text)
        if self.on_line is not None:
            self.on_line(text)

    # --- servers -----------------------------------------------------------------------
    def start_orgs(self) -> None:
        for env, seed in ORGS.items():
            data = self.out / "orgs" / env
            data.mkdir(parents=True, exist_ok=True)
            cmd = [sys.executable, "-m", "sfenv", "localorg", "serve", "--data", str(data),
                   "--seed", seed, "--json"]
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, env=self._base_env())
            self.servers[env] = proc
        for env, proc in self.servers.items():
            line = proc.stdout.readline() if proc.stdout else ""
            if not line:
                err = proc.stderr.read() if proc.stderr else ""
                raise DemoFailed(f"local org {env} did not start: {err.strip()[-400:]}")
            self.creds[env] = json.loads(line)
            self.say(f"  local org {env:<5} {self.creds[env]['instance_url']}  "
                     f"(user {self.creds[env]['username']}, org {self.creds[env]['org_id']})")

    def stop_orgs(self) -> None:
        for proc in self.servers.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.servers.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()

    # --- config --------------------------------------------------------------------------
    def write_config(self) -> Path:
        # Imported here so that `sfenv` commands other than the demo never load the seeds
        # (the demo is the CLI's one way into the local org: cli/local/ after the relayout).
        from sfenv.localorg.seeds import ENV_VALUES

        lines = ["# Demo configuration written by `make demo` (local orgs on loopback).",
                 "project: acme", 'api_version: "62.0"', "environments:"]
        for env in ORGS:
            c = self.creds[env]
            var = f"SFENV_DEMO_{env.upper()}_PASSWORD"
            self.env[var] = c["password"] + c["security_token"]
            lines += [f"  {env}:",
                      f"    login_url: {c['instance_url']}",
                      f"    username: {c['username']}",
                      f"    password_env: {var}",
                      f"    ca_file: {c['ca_file']}",
                      f"    owner: {OWNERS[env]}"]
            if env == "prod":
                lines.append("    production: true")
            values = ENV_VALUES.get(ORGS[env]) or ENV_VALUES.get(env) or {}
            if values:
                lines.append("    values:")
                lines += [f"      {k}: {json.dumps(v)}" for k, v in sorted(values.items())]
        lines += ["path: [dev, qa, prod]", "pull:", "  poll_interval: 0.05",
                  "  poll_max_interval: 0.5"]
        path = self.out / "sfenv.yml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.write_credentials()
        return path

    def write_credentials(self) -> Path:
        """demo-out/credentials.env (readable by you only): the password variables sfenv.yml
        names, so an org restarted by hand (`sfenv localorg serve --data demo-out/orgs/dev`,
        same port) works with the same config after `set -a; . demo-out/credentials.env`."""
        path = self.out / "credentials.env"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("# sfenv demo: password + security token of each local org (sfenv.yml)\n")
            fh.writelines(f"{var}={value}\n" for var, value in sorted(self.env.items())
                          if var.startswith("SFENV_DEMO_"))
        return path

    def _base_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.env)
        env.setdefault("GIT_AUTHOR_NAME", "Demo Release Manager")
        env.setdefault("GIT_AUTHOR_EMAIL", "release.manager@acme.example")
        env.setdefault("GIT_COMMITTER_NAME", "Demo Release Manager")
        env.setdefault("GIT_COMMITTER_EMAIL", "release.manager@acme.example")
        env["COLUMNS"] = "110"
        return env

    # --- steps -----------------------------------------------------------------------------
    def run(self, title: str, *args: str, ok_codes: tuple[int, ...] = (0,)) -> str:
        self.step_no += 1
        self.say(f"\n== step {self.step_no}: {title}\n$ sfenv {' '.join(args)}")
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "sfenv", *args], cwd=self.out,
                              capture_output=True, text=True, env=self._base_env(),
                              stdin=subprocess.DEVNULL, timeout=600)
        output = (done.stdout + done.stderr).rstrip()
        if output:
            self.say(output)
        if done.returncode not in ok_codes:
            raise DemoFailed(f"step {self.step_no} ({title}) failed with exit code "
                             f"{done.returncode}: sfenv {' '.join(args)}")
        self.say(f"   ({time.monotonic() - started:.1f}s)")
        return done.stdout


def run_demo(out: Path, *, short: bool = False,
             on_line: Callable[[str], None] | None = None) -> Demo:
    """Run the demo into `out` (emptied first, so a second run works the same); each line
    of the transcript goes to `on_line` as it is written."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    demo = Demo(out=out.resolve(), short=short, on_line=on_line)
    demo.say("== starting three local orgs (HTTPS on 127.0.0.1)")
    try:
        demo.start_orgs()
        demo.write_config()
        demo.say(f"  wrote {demo.out / 'sfenv.yml'}")
        for env in ORGS:
            demo.run(f"pull {env}", "pull", env)
        demo.run("path status: what is pending, what drifted", "status", ok_codes=(0, 1))
        demo.run("report before the train", "report", "--out", str(demo.out / "report-before.html"))
        demo.run("release plan", "release", "plan", TRAIN, "--from", "dev", "--to", "qa")
        demo.run("release build", "release", "build", TRAIN, "--from", "dev", "--to", "qa")
        demo.run("checklist for qa", "checklist", TRAIN, "--env", "qa")
        demo.run("promote to qa", "release", "promote", TRAIN, "--to", "qa", "--yes")
        if not short:
            steps = json.loads(demo.run("checklist for prod (JSON)", "checklist", TRAIN,
                                        "--env", "prod", "--json"))
            for step in _before_steps(steps):
                demo.run(f"tick checklist step {step}", "checklist", "done", TRAIN, step,
                         "--env", "prod", "--by", "Demo Release Manager")
        demo.run("promote to prod (backup, validate, deploy, verify)", "release", "promote",
                 TRAIN, "--to", "prod", "--yes")
        demo.run("status after the train: drift left in prod", "status", ok_codes=(0, 1))
        demo.run("release status", "release", "status", TRAIN)
        usage = demo.out / "usage-prod.yml"
        usage.write_text(prod_usage(datetime.now(UTC)), encoding="utf-8")
        demo.run("people use prod: records, logins, a report run, flow interviews",
                 "localorg", "usage", str(demo.out / "orgs" / "prod"), str(usage))
        demo.run("adoption: is the train's work used in prod?", "adoption", "--env", "prod",
                 "--no-notify")
        demo.run("report", "report", "--out", str(demo.out / "report.html"))
        demo.say(f"\nDemo done. Report: {demo.out / 'report.html'}")
    finally:
        demo.stop_orgs()
    return demo


def prod_usage(now: datetime) -> str:
    """A few minutes of prod use after the train, as a `sfenv localorg usage` file: the new
    Account field filled on most new accounts (used), the invoice discount never (unused), one
    project by one person (low reach), the new group without members (unused); the role has
    no signal (unknown). The report run and flow interviews are prod's other activity."""
    def at(seconds: int) -> str:   # just after the deploy (the file is written after it)
        return (now + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
    accounts = [f"    - {{Name: Customer {i}, Customer_Since__c: 20{10 + i}-04-01, "
                f"by: {'Elena Garcia' if i % 2 else 'Sofia Rossi'}, CreatedDate: {at(i)}}}"
                for i in range(1, 7)]
    accounts += [f"    - {{Name: Prospect {i}, by: Sofia Rossi, CreatedDate: {at(i)}}}"
                 for i in range(1, 3)]
    invoices = [f"    - {{Status__c: Sent, by: Elena Garcia, CreatedDate: {at(i)}}}"
                for i in range(1, 5)]
    return "\n".join([
        "# prod usage after the train reached it (sfenv demo)",
        "records:", "  Account:", *accounts, "  Invoice__c:", *invoices,
        "  Project__c:", f"    - {{Name: Office move, by: Marcus Chen, CreatedDate: {at(3)}}}",
        "logins:",
        *[f"  - {{user: {who}, times: [{at(1)}, {at(5)}]}}"
          for who in ("Elena Garcia", "Sofia Rossi", "Marcus Chen", "Tom Becker")],
        "report_runs:", f"  Billing_Reports/Open_Invoices_by_Status: {at(4)}",
        "flow_interviews:", f"  - {{flow: Invoice_Set_Due_Date, when: {at(2)}, count: 5}}",
        "",
    ])


def _before_steps(steps: dict | list) -> list[str]:
    items = steps.get("steps", steps) if isinstance(steps, dict) else steps
    return [s["id"] for s in items if s.get("phase") == "before" and not s.get("done")]
