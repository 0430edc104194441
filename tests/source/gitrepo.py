"""A throwaway git repository holding an sfdx project, for source-format tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


class GitRepo:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, author: str = "Dana Dev") -> str:
        env = {**os.environ, "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": "dev@example.com",
               "GIT_COMMITTER_NAME": author, "GIT_COMMITTER_EMAIL": "dev@example.com",
               "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
        return subprocess.run(["git", *args], cwd=self.root, env=env, check=True,
                              capture_output=True, text=True).stdout.strip()

    def write(self, path: str, text: str | bytes) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, str):
            text = text.encode()
        target.write_bytes(text)

    def remove(self, path: str) -> None:
        (self.root / path).unlink()

    def copy_tree(self, source: Path, dest: str = "") -> None:
        shutil.copytree(source, self.root / dest, dirs_exist_ok=True)

    def commit(self, message: str, *, author: str = "Dana Dev") -> str:
        self.git("add", "-A", author=author)
        self.git("commit", "-q", "-m", message, author=author)
        return self.git("rev-parse", "HEAD")


# A branch's work in the tests that build trains from a git environment: a new field and a
# permission set granting it.
NEW_FIELD = """<?xml version="1.0" encoding="UTF-8"?>
<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
    <fullName>Fleet_Size__c</fullName>
    <externalId>false</externalId>
    <label>Fleet Size</label>
    <precision>6</precision>
    <required>false</required>
    <scale>0</scale>
    <type>Number</type>
    <unique>false</unique>
</CustomField>
"""
PERMSET = """<?xml version="1.0" encoding="UTF-8"?>
<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">
    <fieldPermissions>
        <editable>true</editable>
        <field>Account.Fleet_Size__c</field>
        <readable>true</readable>
    </fieldPermissions>
    <hasActivationRequired>false</hasActivationRequired>
    <label>Fleet Manager</label>
</PermissionSet>
"""
