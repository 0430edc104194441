"""Describe calls over the local org's queryable objects, in Salesforce's shapes:

- `GET …/sobjects` (global describe: `{"encoding", "maxBatchSize", "sobjects": [...]}`),
- `GET …/sobjects/{name}` (`{"objectDescribe", "recentItems"}`),
- `GET …/sobjects/{name}/describe` (the object with its `fields`, `childRelationships`...),

for the REST API and the Tooling API alike. Only the objects the org serves are described
(SourceMember only where source tracking is on), so a client learns from the describe what
the org really answers; an unknown object is 404 NOT_FOUND, as on Salesforce. The local org
writes nothing through REST, so every object and field says it cannot be created or updated.
"""

from __future__ import annotations

import re

from sfenv.localorg.rest.soql import SObject
from sfenv.localorg.rest.soql_columns import KEY_PREFIXES

# soql field type -> (describe type, soapType, length, byteLength)
_TYPES = {
    "id": ("id", "tns:ID", 18, 18),
    "string": ("string", "xsd:string", 255, 765),
    "boolean": ("boolean", "xsd:boolean", 0, 0),
    "datetime": ("datetime", "xsd:dateTime", 0, 0),
    "date": ("date", "xsd:date", 0, 0),
    "number": ("double", "xsd:double", 0, 0),
}
_LABEL_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z0-9]+|[A-Z]+")


def label(name: str) -> str:
    """`LastModifiedDate` -> "Last Modified Date" (Salesforce's labels of standard names)."""
    return " ".join(_LABEL_WORDS.findall(name)) or name


def plural(text: str) -> str:
    if text.endswith("y") and not text.endswith(("ay", "ey", "oy")):
        return text[:-1] + "ies"
    return text + ("es" if text.endswith(("s", "x", "ch", "sh")) else "s")


def _base(version: str, tooling: bool) -> str:
    return f"/services/data/{version}" + ("/tooling" if tooling else "")


def object_summary(sobject: SObject, version: str, tooling: bool) -> dict:
    """One entry of the global describe (also `objectDescribe` of `GET …/sobjects/{name}`)."""
    url = f"{_base(version, tooling)}/sobjects/{sobject.name}"
    name_label = label(sobject.name)
    return {
        "activateable": False, "associateEntityType": None, "associateParentEntity": None,
        "createable": False, "custom": sobject.name.endswith("__c"), "customSetting": False,
        "deepCloneable": False, "deletable": False, "deprecatedAndHidden": False,
        "feedEnabled": False, "hasSubtypes": False, "isInterface": False, "isSubtype": False,
        "keyPrefix": KEY_PREFIXES.get(sobject.name), "label": name_label,
        "labelPlural": plural(name_label), "layoutable": False, "mergeable": False,
        "mruEnabled": False, "name": sobject.name, "queryable": True, "replicateable": False,
        "retrieveable": True, "searchable": False, "triggerable": False,
        "undeletable": False, "updateable": False,
        "urls": {"rowTemplate": f"{url}/{{ID}}", "describe": f"{url}/describe", "sobject": url},
    }


def global_describe(schemas: dict[str, SObject], version: str, tooling: bool) -> dict:
    return {"encoding": "UTF-8", "maxBatchSize": 200,
            "sobjects": [object_summary(schemas[n], version, tooling) for n in sorted(schemas)]}


def basic_info(sobject: SObject, version: str, tooling: bool) -> dict:
    return {"objectDescribe": object_summary(sobject, version, tooling), "recentItems": []}


def describe(sobject: SObject, schemas: dict[str, SObject], version: str,
             tooling: bool) -> dict:
    """The full describe of one object: its fields (references named by relationship) and the
    relationships other served objects have to it."""
    references = {id_field: (rel, target) for rel, (target, id_field)
                  in sobject.relationships.items()}
    fields = [_field(name, ftype, references.get(name)) for name, ftype in sobject.fields.items()]
    children = []
    for other in sorted(schemas):
        for _rel, (target, id_field) in sorted(schemas[other].relationships.items()):
            if target == sobject.name:
                children.append({
                    "cascadeDelete": False, "childSObject": other, "deprecatedAndHidden": False,
                    "field": id_field, "junctionIdListNames": [], "junctionReferenceTo": [],
                    "relationshipName": None, "restrictedDelete": False,
                })
    body = object_summary(sobject, version, tooling)
    body.update({
        "actionOverrides": [], "childRelationships": children, "compactLayoutable": False,
        "defaultImplementation": None, "extendedBy": None, "extendsInterfaces": None,
        "fields": fields, "implementedBy": None, "implementsInterfaces": None,
        "listviewable": None, "lookupLayoutable": None, "namedLayoutInfos": [],
        "networkScopeFieldName": None, "recordTypeInfos": [], "searchLayoutable": False,
        "sobjectDescribeOption": "FULL", "supportedScopes": [], "urls": {
            **body["urls"], "defaultValues": None},
    })
    body["urls"] = {k: v for k, v in body["urls"].items() if v is not None}
    return body


def _field(name: str, ftype: str, reference: tuple[str, str] | None) -> dict:
    kind, soap_type, length, byte_length = _TYPES.get(ftype, _TYPES["string"])
    if reference is not None:
        kind, soap_type, length, byte_length = "reference", "tns:ID", 18, 18
    is_id = name == "Id"
    return {
        "aggregatable": not is_id and kind != "boolean", "aiPredictionField": False,
        "autoNumber": False, "byteLength": byte_length, "calculated": False,
        "calculatedFormula": None, "cascadeDelete": False, "caseSensitive": False,
        "compoundFieldName": None, "controllerName": None, "createable": False,
        "custom": name.endswith("__c"), "defaultValue": None, "defaultValueFormula": None,
        "defaultedOnCreate": is_id or kind == "boolean", "dependentPicklist": False,
        "deprecatedAndHidden": False, "digits": 0, "displayLocationInDecimal": False,
        "encrypted": False, "externalId": False, "extraTypeInfo": None,
        "filterable": True, "filteredLookupInfo": None, "formulaTreatNullNumberAsZero": False,
        "groupable": kind not in ("double", "datetime"), "highScaleNumber": False,
        "htmlFormatted": False, "idLookup": is_id, "inlineHelpText": None,
        "label": "Record ID" if is_id else label(name.removesuffix("Id") if reference else name),
        "length": length, "mask": None, "maskType": None, "name": name,
        "nameField": name == "Name", "namePointing": False,
        "nillable": not is_id and kind != "boolean", "permissionable": False,
        "picklistValues": [], "polymorphicForeignKey": False,
        "precision": 18 if kind == "double" else 0, "queryByDistance": False,
        "referenceTargetField": None,
        "referenceTo": [reference[1]] if reference else [],
        "relationshipName": reference[0] if reference else None, "relationshipOrder": None,
        "restrictedDelete": False, "restrictedPicklist": False,
        "scale": 0, "searchPrefilterable": False, "soapType": soap_type, "sortable": True,
        "type": kind, "unique": False, "updateable": False, "writeRequiresMasterRead": False,
    }
