"""The corpora of `../shared/corpora` (README there) and the commit pairs its README lists.

`EMPTY` pairs must give an empty component delta (pure moves, a revert of a revert, a change
of `sfdx-project.json` only); `DELETES` pairs must put the named members in the destructive
manifest; `FOUR_EDITS`-style expectations are checked in the tests that name them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ARBEIDSGIVER = "nav-crm-arbeidsgiver-base"
NKS = "nav-crm-nks-base"
DAHLIA = "sf-dahlia-salesforce"
CORPORA = (ARBEIDSGIVER, NKS, DAHLIA)


@dataclass(frozen=True)
class Pair:
    corpus: str
    old: str
    new: str
    label: str
    empty: bool = False  # README: "Expected component delta: empty" (or 0 files net)
    deletes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    heavy: bool = False  # a benchmark range: seconds, not tenths

    @property
    def id(self) -> str:
        return f"{self.corpus.split('-')[-2] if self.corpus != DAHLIA else 'dahlia'}-{self.label}"


LISTED: tuple[Pair, ...] = (
    Pair(ARBEIDSGIVER, "88f31738432ab69bfef059229ab15f401dd6035b",
         "a612b4d407564d41fa914bf9cf17c907eec194a2", "1-pure-renames", empty=True),
    Pair(ARBEIDSGIVER, "42deae0f4363ef56a2d3673615f6336463368e03",
         "4d8f374c7f90cdbafa46914b1790e150ecab1856", "2-opportunity-path"),
    Pair(ARBEIDSGIVER, "03a73326bca09ea2321d9fe47f5e796a88ce991c",
         "88ce12bbdf80eab9d4fb336fef2ae9d07165cf09", "3-timeline-removed",
         deletes={"CustomObject": ("TAG_ActivityTimelineChild__mdt",
                                   "TAG_ActivityTimelineParent__mdt")}),
    Pair(ARBEIDSGIVER, "932ee1fb8cb612e575ed6aee951294984ef53f34",
         "713d6cbfe3444c115fcd07c9877d2f127cb7dde9", "4-permsets-deleted",
         deletes={"PermissionSet": ("Arbeidsgiver_Feedback", "Arbeidsgiver_Feedback_Admin")}),
    Pair(ARBEIDSGIVER, "1c4e6fe49df868b47973f1c010a1e0fab7aa7817",
         "fd1a87cc00fa4975fc01a43f336525340de15f1e", "5-2025-to-tip", heavy=True),
    Pair(ARBEIDSGIVER, "2cfe7a51956766a79e7bbd24bc4f76be0b899864",
         "4b735f33438220ec5a613eeb89811d1363dc2793", "revert-of-revert", empty=True),
    Pair(ARBEIDSGIVER, "6424f40077fb009273ea9804348b2c09d0bbc7d6",
         "f8589882eb3155b41e67bfc3ad8a51390dd00962", "moved-into-package"),
    Pair(NKS, "fea2e0491fa851e76fd8740483ec49947846208c",
         "497c1b0df8d3a68ec02d78fdea8242ec8d5a0a5c", "1-folders"),
    Pair(NKS, "6d9fc8db6e8587f5d010fbf171aba79b74e43ce4",
         "5abf6fdcb4619984204ae77c1420a7e2af955b13", "2-listviews-renamed"),
    Pair(NKS, "aed820cfac8c3b2f03ec233335905c45e770fc77",
         "5e85b843aabe38e19a8e1c4d5a09221146d3d207", "3-aktuelt-removed"),
    Pair(NKS, "6965f27e44f64a4a4a6fb14ce0987c5d2927e225",
         "646a4f6c39c2ff62bf5bb08b39be1144fb42548c", "4-hackaton-deleted",
         # 23 classes lose their .cls but keep their .cls-meta.xml: deleted, as sgd does
         deletes={"PermissionSet": ("NKS_View_Saf_Journalpost",),
                  "ApexClass": tuple(f"KafkaBrukernotifikasjon{n}" for n in (
                      "BeskjedHandler", "BeskjedTest", "DoneHandler", "DoneTest", "Handler",
                      "HandlerTest", "OppgaveHandler", "OppgaveTest", "StatusHandler",
                      "StatusTest", "", "Beskjed", "Done", "Key", "Statusoppdatering"))
                  + tuple(f"NKS_Saf{n}" for n in (
                      "BuildQueryUtil", "BuildQueryUtilTest", "JournalPostListController",
                      "JournalPostListControllerTest", "Service", "Service_Test",
                      "ViewDocumentController", "ViewDocumentController_Test"))}),
    Pair(NKS, "0262955b81e241467c664d22b18428907c23e7c1",
         "5111fe7ba7adf83eadb4161e4fe678138f522480", "5-2024-to-tip", heavy=True),
    Pair(NKS, "9e6c98e1e7af0c6e876c883c3076d90be5c7d368",
         "deb6bd4ab80c9ad6169bc35d34b2585a13f629c9", "project-file-only", empty=True),
    Pair(NKS, "6200afc0aa96966cb2c9650eb6f301b9c98cdd06",
         "9be788aba21730ec073a046b793a1433f94b7f91", "3-permsets-deleted",
         deletes={"PermissionSet": ("NKS_Chat_Permissions", "NKS_Secure_Chat_Access",
                                    "NKS_Traffic_Chat_Permissions")}),
    Pair(DAHLIA, "460913afc9bb267ec63c0023772281007070533b",
         "9a7d04143cb53426efcdf79abeab5cbcc17fd774", "1-cleanup", heavy=True),
    Pair(DAHLIA, "460913afc9bb267ec63c0023772281007070533b",
         "3443315ff9cc6d27cba8ed157fed090c3ab5c490", "2-cleanup-and-readd", heavy=True),
    Pair(DAHLIA, "ed1dea40a8d581fadccb1a20be634836dcc1a348",
         "3ae7104686435796abb7cce41fc6ac4c39052c39", "3-profiles-only"),
    Pair(DAHLIA, "77d32ff00abfce3143ac17274aac553681f9a94b",
         "6ece6a5dc3e6488770a22ae3ea97c4b8b9535345", "4-gearset-ci", heavy=True),
    Pair(DAHLIA, "365100f1b5ab4fbc614e71c22b89812aa8834e51",
         "2e5464c43b58e966b4d095ed1208a1e9e403a82c", "5-production-src", heavy=True),
    Pair(DAHLIA, "945fa44dd868fd27f08d19e9d27c34ae1e8331dc",
         "b264f6ca58b4769b965b56c9bad2261cf450408c", "qa-vs-production", heavy=True),
)

# the standard objects a delta must never delete (README: 2e5464c43b deletes their files)
STANDARD_KEPT = {"5-production-src": ("Contact", "DuplicateRecordSet")}
