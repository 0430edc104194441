"""`sfenv release plan|build|promote|rollback|status|list`: thin wrappers over sfenv.services.promote."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sfenv.cli.common import config_option, emit_json, load, progress_for, workspace
from sfenv.errors import EXIT_DIFF, EXIT_ORG, EXIT_VERIFY, ReleaseError


def _store(config):
    from sfenv.io.store.snapshots import SnapshotStore

    return SnapshotStore(config.root)


def _scope(include, exclude, manifest, with_dependencies):
    from sfenv.services.train.train import Scope

    return Scope(tuple(include), tuple(exclude), Path(manifest) if manifest else None,
                 with_dependencies)


def _scope_options(fn):
    fn = click.option("--with-dependencies", is_flag=True,
                      help="Add what packaged components need from the source (transitively).")(fn)
    fn = click.option("--manifest", type=click.Path(dir_okay=False, exists=True),
                      help="A package.xml listing the work items to release.")(fn)
    fn = click.option("--exclude", multiple=True, metavar="GLOB",
                      help="Leave out Type:Name globs (repeatable).")(fn)
    fn = click.option("--include", multiple=True, metavar="GLOB",
                      help="Only Type:Name globs (repeatable), e.g. 'CustomField:Account.*'.")(fn)
    fn = click.option("--hotfix", is_flag=True,
                      help="Allow a target upstream of the source (a backwards train).")(fn)
    fn = click.option("--to", "target", metavar="ENV", help="Target environment (default: next stage).")(fn)
    fn = click.option("--from", "source", metavar="ENV|REF",
                      help="Source environment or snapshot ref (default: first stage).")(fn)
    return fn


@click.group("release")
def release_group() -> None:
    """Release trains: build once, promote hop by hop with backup, validation, verification
    and rollback.

    \b
    Example:
      sfenv release plan R1 && sfenv release build R1
      sfenv release promote R1 --to qa && sfenv release promote R1 --to prod
    """


@release_group.command("plan")
@click.argument("train")
@_scope_options
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown-comment"]),
              default=None, help="text (default), json, or markdown-comment: the body of the "
                                 "pull request's one sfenv comment (it carries a marker).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (--format json).")
@config_option
def plan_cmd(train, source, target, hotfix, include, exclude, manifest, with_dependencies,
             fmt, as_json, config_path):
    """Show what TRAIN would carry: adds, changes, deletes, manual items, dependency problems
    and size. Writes nothing. With --format markdown-comment, the body a CI job posts on the
    pull request (`sfenv ci comment`); when TRAIN is already built for this source and target,
    it lists the train's checklist with its step ids.

    \b
    Example:
      sfenv release plan R1 --from dev --to qa --include 'CustomField:Account.*'
      sfenv release plan pr-12 --from branch --format markdown-comment > plan.md
    """
    from sfenv.services.train.train import plan
    from sfenv.views.release import plan_text

    if as_json and fmt not in (None, "json"):
        raise click.UsageError(f"--json and --format {fmt} exclude each other")
    fmt = "json" if as_json else (fmt or "text")
    config = load(config_path)
    store = _store(config)
    result = plan(config, store, train, source=source, target=target,
                  scope=_scope(include, exclude, manifest, with_dependencies), hotfix=hotfix,
                  registry=workspace(config_path).registry)
    if fmt == "json":
        emit_json(result.to_dict())
    elif fmt == "markdown-comment":
        from sfenv.services.ci.plan import built_checklist
        from sfenv.views.plan_comment import plan_comment

        click.echo(plan_comment(result, built_checklist(config, store, result)), nl=False)
    else:
        click.echo(plan_text(result))


@release_group.command("build")
@click.argument("train")
@_scope_options
@click.option("--force", is_flag=True, help="Rebuild a train that already exists.")
@click.option("--json", "as_json", is_flag=True, help="Print the built train as JSON.")
@config_option
def build_cmd(train, source, target, hotfix, include, exclude, manifest, with_dependencies,
              force, as_json, config_path):
    """Build TRAIN into releases/TRAIN/ on refs/heads/sfenv/releases (tag release/TRAIN),
    without touching your working tree; a copy is written to ./releases/TRAIN/.

    \b
    Example:
      sfenv release build R1 --from dev --to qa
    """
    from sfenv.services.train.train import build
    from sfenv.views.release import built_text

    config = load(config_path)
    built = build(config, _store(config), train, source=source, target=target, force=force,
                  scope=_scope(include, exclude, manifest, with_dependencies), hotfix=hotfix,
                  registry=workspace(config_path).registry)
    if as_json:
        emit_json(built.to_dict())
    else:
        click.echo(built_text(built))


def _confirm(yes: bool, what: str):
    """A prompt callback: always yes with --yes, click.confirm on a terminal, else None."""
    if yes:
        def said(message: str) -> bool:  # --yes still says what production is about to get
            click.echo(f"{message} yes (--yes)", err=True)
            return True
        return said
    if not sys.stdin.isatty():
        return None
    return lambda message: click.confirm(message, default=False)


def _tell(config, result, action: str) -> None:
    """Send the outcome to sfenv.yml's notify: channels; a failed delivery only warns."""
    from sfenv.services.notify.release_events import release_event
    from sfenv.services.notify.service import notify

    event = release_event(result, action=action, production=config.env(result.env).production)
    if event is None or not config.notify:
        return
    for warning in notify(config, _store(config), event).warnings:
        click.echo(f"warning: {warning}", err=True)


def _outcome(result, as_json: bool) -> None:
    from sfenv.views.release import promote_text

    if as_json:
        emit_json(result.to_dict())
    else:
        click.echo(promote_text(result))
    entry = result.entry
    if entry.result == "refused":  # the guard: the target changed what we would overwrite
        sys.exit(EXIT_DIFF)
    if entry.result == "rollback_incomplete" or (
            entry.result in ("deployed", "rolled_back") and entry.verification
            and not entry.verification.get("ok", True)):
        click.echo(f"Error: {entry.error or 'deployed; verification failed'}", err=True)
        sys.exit(EXIT_VERIFY)
    if not result.ok and entry.result not in ("cancelled", "abandoned"):
        sys.exit(EXIT_ORG)


@release_group.command("promote")
@click.argument("train")
@click.option("--to", "env", required=True, metavar="ENV", help="The environment to deploy to.")
@click.option("--hotfix", is_flag=True, help="Allow skipping stages; tracked until upstream has it.")
@click.option("--yes", is_flag=True, help="Do not ask before deploying to production.")
@click.option("--strict", is_flag=True, help="Refuse while 'before' checklist steps are open.")
@click.option("--check-only", is_flag=True, help="Back up and validate only; deploy nothing.")
@click.option("--overwrite", multiple=True, metavar="TYPE:NAME",
              help="Deploy over this component although ENV changed it since the plan "
                   "(repeatable; recorded in the release log).")
@click.option("--overwrite-all", is_flag=True,
              help="Deploy over every component ENV changed since the plan (recorded).")
@click.option("--verify-only", is_flag=True,
              help="Settle an unfinished promotion whose deploy ENV cannot report: pull ENV "
                   "and finish if it holds the train (recorded; exit 4 if not).")
@click.option("--abandon", is_flag=True,
              help="Close an unfinished promotion whose deploy ENV cannot report, without "
                   "verifying (recorded); the next promote starts over.")
@click.option("--by", "by", metavar="NAME",
              help="Who promotes, for the record (default: $SFENV_USER, else git's user.name, "
                   "else the login name).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@config_option
def promote_cmd(train, env, hotfix, yes, strict, check_only, overwrite, overwrite_all,
                verify_only, abandon, by, as_json, config_path):
    """Promote TRAIN to ENV: back up ENV, check that ENV did not change the train's components
    since the plan, validate, re-check the carried components just before the deploy, deploy
    (quick deploy where possible; a --check-only validation of the same package is quick
    deployed), pull again and verify, then record the log and a rollback package. Run the same
    command again after an interruption: it continues at the first step not done.

    Exit 1 when ENV changed components of the train since it was planned, or while the
    validation ran (each is listed with who, when and what; nothing was deployed): name them
    with --overwrite or --overwrite-all to deploy over them. Exit 3 when Salesforce rejects the validation or
    deploy (failures are printed and logged). Exit 4 when the deploy went through but ENV
    does not hold the train as built ("deployed; verification failed").

    \b
    Example:
      sfenv release promote R1 --to qa
      sfenv release promote R1 --to prod --yes
      sfenv release promote R1 --to prod --yes --overwrite CustomField:Account.Region__c
    """
    from sfenv.services.promote.promote import promote

    if sum((check_only, verify_only, abandon)) > 1:
        raise click.UsageError("--check-only, --verify-only and --abandon exclude each other")
    config = load(config_path)
    env_cfg = config.env(env)
    confirm = _confirm(yes, env)
    if env_cfg.production and not (check_only or verify_only or abandon) and confirm is None:
        raise ReleaseError(f"{env} is production and there is no terminal to confirm on: "
                           f"pass --yes to deploy")
    result = promote(config, _store(config), train, env, hotfix=hotfix, strict=strict,
                     check_only=check_only, confirm=confirm,
                     progress=progress_for(as_json, quiet=True), overwrite=overwrite,
                     overwrite_all=overwrite_all, verify_only=verify_only, abandon=abandon,
                     by=by, registry=workspace(config_path).registry)
    _tell(config, result, "promote")
    _outcome(result, as_json)


@release_group.command("rollback")
@click.argument("train")
@click.option("--env", "env", required=True, metavar="ENV", help="Where to roll back.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--with-later", is_flag=True,
              help="First roll back the trains deployed to ENV after TRAIN, newest first.")
@click.option("--overwrite", multiple=True, metavar="TYPE:NAME",
              help="Roll back over this component although ENV changed it since the "
                   "promotion (repeatable; recorded in the release log).")
@click.option("--overwrite-all", is_flag=True,
              help="Roll back over every component ENV changed since the promotion (recorded).")
@click.option("--by", "by", metavar="NAME",
              help="Who rolls back, for the record (default: $SFENV_USER, else git's "
                   "user.name, else the login name).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@config_option
def rollback_cmd(train, env, yes, with_later, overwrite, overwrite_all, by, as_json,
                 config_path):
    """Deploy the rollback package built when TRAIN was promoted to ENV (back to the backup
    taken before), pull again and verify.

    Refused (exit 2) while a later train is deployed to ENV on top of TRAIN (it is named):
    --with-later rolls those back first, newest first, each recorded. Refused (exit 1) when
    ENV changed, since the promotion, components the rollback would overwrite (each is named):
    --overwrite TYPE:NAME or --overwrite-all roll back over them, recorded. Exit 4 when the
    rollback deployed but ENV is not back to the backup.

    \b
    Example:
      sfenv release rollback R1 --env prod --yes
    """
    from sfenv.services.promote.steps_rollback import rollback

    config = load(config_path)
    confirm = _confirm(yes, env)
    if confirm is None:
        raise ReleaseError(f"rolling back {env} needs confirmation and there is no terminal: "
                           f"pass --yes")
    result = rollback(config, _store(config), train, env, confirm=confirm,
                      with_later=with_later, overwrite=overwrite, overwrite_all=overwrite_all,
                      progress=progress_for(as_json, quiet=True), by=by,
                      registry=workspace(config_path).registry)
    _tell(config, result, "rollback")
    _outcome(result, as_json)


def _summaries(config, train, registry):
    from sfenv.services.promote.status import summary
    from sfenv.services.train.train import list_trains

    store = _store(config)
    names = [train] if train else list_trains(store)
    out = [summary(config, store, n, registry, with_checklist=False) for n in names]
    return sorted(out, key=lambda s: (s.created, s.name))


@release_group.command("status")
@click.argument("train", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@config_option
def status_cmd(train, as_json, config_path):
    """Where each train stands on the path, and hotfixes not yet back upstream.

    \b
    Example:
      sfenv release status R1 --json
    """
    from sfenv.views.release import status_json, status_text

    summaries = _summaries(load(config_path), train, workspace(config_path).registry)
    if as_json:
        emit_json(status_json(summaries))
    else:
        click.echo(status_text(summaries))


@release_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the trains as JSON.")
@config_option
def list_cmd(as_json, config_path):
    """The release trains built in this repository.

    \b
    Example:
      sfenv release list
    """
    from sfenv.views.release import list_text, status_json

    summaries = _summaries(load(config_path), None, workspace(config_path).registry)
    if as_json:
        emit_json(status_json(summaries))
    else:
        click.echo(list_text(summaries))


COMMANDS = [release_group]
