"""The local org's deploy checks read references the way release dependencies do."""

from sfenv.core.metadata.components import split_file
from sfenv.core.metadata.ids import ComponentId
from sfenv.core.metadata.references import references
from sfenv.core.metadata.registry import default_registry
from sfenv.localorg.mdapi.validate import check_deletion, check_deployed
from sfenv.localorg.state.inventory import Inventory

C = ComponentId
NS = "http://soap.sforce.com/2006/04/metadata"
RULES = f"""<?xml version="1.0" encoding="UTF-8"?>
<SharingRules xmlns="{NS}">
    <sharingOwnerRules>
        <fullName>Support_To_Sales</fullName>
        <accessLevel>Read</accessLevel>
        <label>Support to Sales</label>
        <sharedFrom>
            <roleAndSubordinates>Support_Lead</roleAndSubordinates>
        </sharedFrom>
        <sharedTo>
            <queue>Escalations</queue>
        </sharedTo>
    </sharingOwnerRules>
</SharingRules>
""".encode()


def _doc(root: str, body: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{NS}">\n{body}\n</{root}>\n'.encode()


def _org(**extra: bytes) -> Inventory:
    files = {"sharingRules/Account.sharingRules": RULES,
             "queues/Escalations.queue": _doc("Queue", "    <name>Escalations</name>"), **extra}
    return Inventory.of_files(files, default_registry())


def test_a_sharing_rule_from_a_missing_role_fails_the_deploy_naming_the_element():
    org = _org()
    problems = [f.problem for f in check_deployed(org, [C("SharingRules", "Account")])]
    assert problems == ["In field: sharedFrom - no Role named Support_Lead found"]
    rule = split_file("sharingRules/Account.sharingRules", RULES, default_registry())[1]
    assert C("Role", "Support_Lead") in references(rule)  # what a release would carry


def test_a_queue_named_by_a_sharing_rule_cannot_be_deleted():
    org = _org(**{"roles/Support_Lead.role": _doc("Role", "    <name>Support Lead</name>")})
    assert check_deployed(org, [C("SharingRules", "Account")]) == []
    refused = check_deletion(org, C("Queue", "Escalations"), "queues/Escalations.queue")
    assert [f.problem for f in refused] == [
        "This Queue is referenced elsewhere in salesforce.com. : Sharing Rule - Account.Support_To_Sales"]
