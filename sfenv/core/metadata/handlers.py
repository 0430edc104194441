"""One handler per storage strategy: what code used to ask with `mtype.strategy == "..."`.

A type's row in the registry names its strategy (`xml`, `content`, `bundle`, `folder`); the
registry gives the handler (`MetadataType.handler`). Callers ask the handler what the strategy
means for them (where the files are, whether the file is compared element by element, how
package.xml names it) instead of branching on the strategy's name, so a new strategy, or a
project's own type declared in sfenv.yml, is one class here and no edit elsewhere.

This module must not import the registry (the registry imports it): handlers read a type's
layout through `Layout`, which `MetadataType` satisfies.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

META = "-meta.xml"


class Layout(Protocol):
    """The facts of a type a handler reads (a `MetadataType`)."""

    @property
    def name(self) -> str: ...
    @property
    def directory(self) -> str: ...
    @property
    def suffix(self) -> str | None: ...
    @property
    def name_has_extension(self) -> bool: ...
    @property
    def bundle_main(self) -> str | None: ...
    @property
    def folder_type(self) -> str | None: ...


class Handler:
    """A plain component in one file (`classes/A.cls` with its -meta.xml is `content`)."""

    strategy: ClassVar[str] = ""
    # the file is XML compared element by element, and may hold child components (fields)
    compares_elements: ClassVar[bool] = False
    # the component is all its files together: compared and read as one
    files_make_one_component: ClassVar[bool] = False
    # a folder of an in-folder type (ReportFolder): named by its -meta.xml alone
    is_folder: ClassVar[bool] = False
    # every component is a folder of files in the type's directory (a bundle)
    folder_per_component: ClassVar[bool] = False
    # a body file and its -meta.xml beside it (`A.cls` + `A.cls-meta.xml`): one without the
    # other is no deployable component
    body_with_meta: ClassVar[bool] = False

    def main_path(self, t: Layout, name: str) -> str:
        """The main file a component called `name` gets (Metadata API format)."""
        if t.name_has_extension or not t.suffix:
            return f"{t.directory}/{name}"
        return f"{t.directory}/{name}.{t.suffix}"

    def meta_path(self, t: Layout, name: str) -> str | None:
        """Its -meta.xml file when it has one beside the main file, else None."""
        return None

    def bundle_name(self, rel: str) -> str | None:
        """For a bundle: the component owning `rel` (a path inside the type's directory)."""
        return None

    def manifest_type(self, t: Layout, content_type_of_folder: str | None) -> str:
        """The type package.xml lists the component under."""
        return t.name

    def package_path(self, t: Layout, name: str, path: str) -> str:
        """Where a snapshot file of the component goes in a Metadata API package."""
        return path

    def mdapi_meta_path(self, t: Layout, path: str) -> str | None:
        """The Metadata API name of a folder file given its source-format name, else None."""
        return None


class XmlHandler(Handler):
    """One XML file per component (`objects/Account.object`, `profiles/Admin.profile`)."""

    strategy = "xml"
    compares_elements = True


class ContentHandler(Handler):
    """A content file and its -meta.xml (`classes/A.cls` + `classes/A.cls-meta.xml`)."""

    strategy = "content"
    files_make_one_component = True
    body_with_meta = True

    def meta_path(self, t: Layout, name: str) -> str | None:
        return self.main_path(t, name) + META


class BundleHandler(Handler):
    """A folder of files per component (`lwc/card/...`, `aura/Cmp/...`)."""

    strategy = "bundle"
    files_make_one_component = True
    folder_per_component = True

    def main_path(self, t: Layout, name: str) -> str:
        main = (t.bundle_main or "{n}").format(n=name)
        return f"{t.directory}/{name}/{main}"

    def bundle_name(self, rel: str) -> str | None:
        name, slash, _ = rel.partition("/")
        if not slash:  # experiences/site1.site-meta.xml next to experiences/site1/
            name = name.removesuffix(META).split(".", 1)[0]
        return name or None


class FolderHandler(Handler):
    """A folder of an in-folder type: `reports/Sales-meta.xml` as a retrieve names it."""

    strategy = "folder"
    is_folder = True

    def main_path(self, t: Layout, name: str) -> str:
        return f"{t.directory}/{name}{META}"

    def meta_path(self, t: Layout, name: str) -> str | None:
        return self.main_path(t, name)

    def manifest_type(self, t: Layout, content_type_of_folder: str | None) -> str:
        """package.xml lists folders under their content type (ReportFolder:Sales -> Report)."""
        return content_type_of_folder or t.name

    def package_path(self, t: Layout, name: str, path: str) -> str:
        return self.main_path(t, name) if path.endswith(META) else path

    def mdapi_meta_path(self, t: Layout, path: str) -> str | None:
        """`reports/Sales-meta.xml` for `reports/Sales.reportFolder-meta.xml`."""
        if not t.suffix or not path.endswith(META):
            return None
        stem = path[: -len(META)]
        if not stem.endswith("." + t.suffix):
            return None
        return stem[: -len(t.suffix) - 1] + META


HANDLERS: dict[str, Handler] = {h.strategy: h for h in (XmlHandler(), ContentHandler(),
                                                        BundleHandler(), FolderHandler())}


def handler_for(strategy: str) -> Handler:
    """The handler of a strategy; KeyError naming the known ones when there is none."""
    try:
        return HANDLERS[strategy]
    except KeyError:
        raise KeyError(f"unknown strategy {strategy!r} (known: {', '.join(HANDLERS)})") from None
