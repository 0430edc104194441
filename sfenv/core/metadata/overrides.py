"""sfenv's own facts about metadata types, laid over the generated registry (`registry.json`).

Why a separate file: `registry.json` is generated from Salesforce CLI's registry
(`tools/gen_registry.py`) and says where types live; what sfenv must know beyond that
(which repeated elements are components of their own and what identifies them, what a deploy
replaces whole, what a retrieve must carry together, how Setup words an audit row, the local
org's id prefixes) is written here, by hand, with the reason next to each fact. This plays
the part sfdx-git-delta's `internalRegistry` plays for that tool. Code never reads these
tables directly: it asks `sfenv.core.metadata.registry.Registry`.
"""

from __future__ import annotations

from typing import TypedDict

# --- Profile and permission-set sections ---------------------------------------------------
# Profiles and permission sets have no child types in the Metadata API, yet each entry of
# their keyed lists (a field permission, a class access...) is what teams review: every such
# entry is a component row of its own (`ProfileFieldPermission:Admin/Account.Region__c`).
# The sections are the keyed unordered lists of these types in `registry.json`.
SECTION_TYPES: tuple[str, ...] = ("Profile", "PermissionSet", "MutingPermissionSet")

# Sections where the sort key alone does not identify an entry: every element listed here
# is part of the identity (the first names the row, the others follow after "@", trailing
# empty ones left out). Without them two entries collapse into one row and a change to one
# is lost (issue 17: two `View` overrides, one for Account and one for Contact).
SECTION_IDENTITY: dict[str, tuple[str, ...]] = {
    # one layout per record type (the default assignment has no recordType)
    "layoutAssignments": ("layout", "recordType"),
    # several ranges may start at the same address
    "loginIpRanges": ("startAddress", "endAddress"),
    # one override per action, page or object, form factor and record type
    "profileActionOverrides": ("actionName", "pageOrSobjectType", "formFactor", "recordType"),
}

# The component type a section entry grants access to: its key names a component of this
# type (`fieldPermissions` + `Account.Region__c` -> CustomField:Account.Region__c). A retrieved
# Profile holds such an entry only when that component is in the same retrieve. Sections not
# listed (user permissions, login IP ranges, action overrides...) are the profile's own.
SECTION_GRANTS: dict[str, str] = {
    "applicationVisibilities": "CustomApplication",
    "categoryGroupVisibilities": "DataCategoryGroup",
    "classAccesses": "ApexClass",
    "customMetadataTypeAccesses": "CustomObject",
    "customPermissions": "CustomPermission",
    "customSettingAccesses": "CustomObject",
    "externalDataSourceAccesses": "ExternalDataSource",
    "fieldPermissions": "CustomField",
    "flowAccesses": "Flow",
    "layoutAssignments": "Layout",
    "objectPermissions": "CustomObject",
    "pageAccesses": "ApexPage",
    "recordTypeVisibilities": "RecordType",
    "servicePresenceStatusAccesses": "ServicePresenceStatus",
    "tabSettings": "CustomTab",  # PermissionSet's name for tab visibilities
    "tabVisibilities": "CustomTab",
}

# --- Per-type behaviour --------------------------------------------------------------------
# deploy_whole: deploying the type replaces the org's whole component (API 40+: "when you
#   deploy a permission set, you must include all of its metadata"), so packages carry it
#   whole. Profile deploys are additive: packages carry only the changed entries.
# retrieved_with: a retrieved Profile holds permissions only for the components of the same
#   retrieve, so profiles ride along with every chunk holding these types (filled below from
#   SECTION_GRANTS: the types its sections grant access to).
# always_refreshed: re-read on every incremental pull: permission sets are cheap and whole since
#   API 40; standard value sets cannot be listed, so they carry no dates to compare.
# checklist_context: the checklist reads these from the target (roles for the hierarchy,
#   groups and queues for membership steps), changed or not.
# hierarchy_parent: the element naming the parent in a hierarchy (the role tree).
# objects_named_by_file: the file of this type is named after the object its children
#   belong to (`workflows/Account.workflow` holds Account's rules): a child needs its object.
# object_separator: the full name is the object's name, this separator, then the component's
#   own name (`Layout:Account-Account Layout`); child types are "Object.Own" already.
# source_handler: the named handler converting the type between source and Metadata API format
#   where the layout differs beyond `-meta.xml` (`sfenv.io.source.convert`): "archive_folder" (a
#   static resource's zip is a folder of files in source format), "meta_by_suffix" (a document's
#   metadata is `<name>.document-meta.xml` in source format, `<file>-meta.xml` in the API).
# id_prefix: key prefix of the setup entity behind the type (the local org mints ids with it).
class TypeFacts(TypedDict, total=False):
    """The facts a type may have (each explained above); a missing one is False/None/()."""

    deploy_whole: bool
    retrieved_with: tuple[str, ...]
    always_refreshed: bool
    checklist_context: bool
    hierarchy_parent: str
    objects_named_by_file: bool
    object_separator: str
    source_handler: str
    id_prefix: str


TYPE_FACTS: dict[str, TypeFacts] = {
    "Profile": {"retrieved_with": tuple(sorted(set(SECTION_GRANTS.values()))), "id_prefix": "00e"},
    "PermissionSet": {"deploy_whole": True, "always_refreshed": True, "id_prefix": "0PS"},
    "MutingPermissionSet": {"deploy_whole": True},
    "StandardValueSet": {"always_refreshed": True},
    "Role": {"checklist_context": True, "hierarchy_parent": "parentRole", "id_prefix": "00E"},
    "Group": {"checklist_context": True, "id_prefix": "00G"},
    "Queue": {"checklist_context": True, "id_prefix": "00G"},
    "CustomObject": {"objects_named_by_file": True, "id_prefix": "01I"},
    "Workflow": {"objects_named_by_file": True},
    "SharingRules": {"objects_named_by_file": True},
    "AssignmentRules": {"objects_named_by_file": True},
    "EscalationRules": {"objects_named_by_file": True},
    "AutoResponseRules": {"objects_named_by_file": True},
    "MatchingRules": {"objects_named_by_file": True},
    # Salesforce's own key prefixes (the local org's ids carry them)
    "CustomField": {"id_prefix": "00N"},
    "ApexClass": {"id_prefix": "01p"},
    "ApexTrigger": {"id_prefix": "01q"},
    "ApexPage": {"id_prefix": "066"},
    "ApexComponent": {"id_prefix": "099"},
    "RecordType": {"id_prefix": "012"},
    "PermissionSetGroup": {"id_prefix": "0PG"},
    "ReportFolder": {"id_prefix": "00l"},
    "DashboardFolder": {"id_prefix": "00l"},
    "DocumentFolder": {"id_prefix": "00l"},
    "EmailFolder": {"id_prefix": "00l"},
    "Report": {"id_prefix": "00O"},
    "Dashboard": {"id_prefix": "01Z"},
    "Document": {"id_prefix": "015", "source_handler": "meta_by_suffix"},
    "EmailTemplate": {"id_prefix": "00X"},
    "Layout": {"id_prefix": "00h", "object_separator": "-"},
    "ValidationRule": {"id_prefix": "03d"},
    "WorkflowRule": {"id_prefix": "01Q"},
    "Flow": {"id_prefix": "301"},
    "FlowDefinition": {"id_prefix": "300"},
    "StaticResource": {"id_prefix": "081", "source_handler": "archive_folder"},
    "LightningComponentBundle": {"id_prefix": "0Rb"},
    "AuraDefinitionBundle": {"id_prefix": "0Ab"},
    "CustomTab": {"id_prefix": "01r"},
    "CustomApplication": {"id_prefix": "02u"},
    "CustomLabel": {"id_prefix": "101"},
    "CustomMetadata": {"id_prefix": "m00"},
    "CustomPermission": {"id_prefix": "0CP"},
    "SharingCriteriaRule": {"id_prefix": "02c"},
    "SharingOwnerRule": {"id_prefix": "02c"},
    "NamedCredential": {"id_prefix": "0XA"},
    "RemoteSiteSetting": {"id_prefix": "0rp"},
    "FlexiPage": {"id_prefix": "0M0"},
    "QuickAction": {"id_prefix": "09D"},
    "ListView": {"id_prefix": "00B"},
    "WebLink": {"id_prefix": "00b"},
    "CompactLayout": {"id_prefix": "0AH"},
    "FieldSet": {"id_prefix": "0Is"},
    "BusinessProcess": {"id_prefix": "019"},
}

# --- Setup audit trail: which rows are about a component ---------------------------------
# Status lists the audit rows about a component: rows filed under a section Setup uses for
# its type, naming the component itself (`sfenv.core.compare.audit_match`).
# sections: the sections Setup files the type's rows under; one ending in a space matches any
#   section starting so ("Customize " -> "Customize Accounts"). A child of an object without
#   its own entry takes its object's sections.
# words: what rows call one component of the type ("Changed active flag for Region_Format
#   validation rule on Account"): a child or layout row must say it along with its object.
# not_own: (objects) words marking a row as about one of the object's children or layouts
#   rather than the object ("field", "link", "index" also appear in rows about the object).
OBJECT_AUDIT_SECTIONS: tuple[str, ...] = ("Custom Objects", "Customize ", "Sharing Defaults")
AUDIT_MATCH: dict[str, dict[str, tuple[str, ...]]] = {
    "ApexClass": {"sections": ("Apex Class",)},
    "ApexTrigger": {"sections": ("Apex Trigger",)},
    "ApexPage": {"sections": ("Page", "Visualforce")},
    "ApexComponent": {"sections": ("Component", "Visualforce")},
    "CustomLabel": {"sections": ("Custom Labels",)},
    "CustomLabels": {"sections": ("Custom Labels",)},
    "Role": {"sections": ("Manage Users", "Roles")},
    "Group": {"sections": ("Manage Users", "Groups", "Public Groups")},
    "Queue": {"sections": ("Manage Users", "Queues")},
    "Profile": {"sections": ("Manage Users", "Profiles")},
    "PermissionSet": {"sections": ("Manage Users", "Permission Sets")},
    "Flow": {"sections": ("Flows", "Process Builder")},
    "NamedCredential": {"sections": ("Named Credentials",)},
    "RemoteSiteSetting": {"sections": ("Security Controls", "Remote Site Settings")},
    "CustomObject": {"sections": OBJECT_AUDIT_SECTIONS, "not_own": (
        "custom field", "validation rule", "record type", "list view", "field set",
        "compact layout", "business process", "sharing reason", "layout")},
    "Layout": {"sections": OBJECT_AUDIT_SECTIONS, "words": ("layout",)},
    "CustomField": {"words": ("custom field", "field")},
    "ValidationRule": {"words": ("validation rule",)},
    "RecordType": {"words": ("record type",)},
    "ListView": {"words": ("list view",)},
    "FieldSet": {"words": ("field set",)},
    "CompactLayout": {"words": ("compact layout",)},
    "WebLink": {"words": ("button", "link")},
    "BusinessProcess": {"words": ("business process",)},
    "SharingReason": {"words": ("sharing reason",)},
    "Index": {"words": ("index",)},
}

# --- Setup audit trail wording -------------------------------------------------------------
# How Setup words a SetupAuditTrail row for a change to a type: (section, action, display
# when changed, display when created). `{name}` is the component's full name, `{plural}` its
# object's plural label. Used by the local org for deploys and for hand changes alike.
# Types not listed: section "Customize" for hand changes, a generic "Deployment" row for deploys.
AUDIT_WORDING: dict[str, tuple[str, str, str, str]] = {
    "ApexClass": ("Apex Class", "changedApexClass", "Changed {name} Apex Class code",
                  "Created Apex Class {name}"),
    "ApexTrigger": ("Apex Trigger", "changedApexTrigger", "Changed {name} Apex Trigger code",
                    "Created Apex Trigger {name}"),
    "Flow": ("Flows", "changedFlow", "Changed flow {name}", "Created flow {name}"),
    "Role": ("Manage Users", "changedRole", "Changed role {name}", "Created role {name}"),
    "Group": ("Manage Users", "changedGroup", "Changed public group {name}",
              "Created public group {name}"),
    "Queue": ("Manage Users", "changedQueue", "Changed queue {name}", "Created queue {name}"),
    "Profile": ("Manage Users", "profileChanged", "Changed profile {name}",
                "Created profile {name}"),
    "PermissionSet": ("Manage Users", "permSetChanged", "Changed permission set {name}",
                      "Created permission set {name}"),
    "SharingCriteriaRule": ("Sharing Rules", "changedSharingRule", "Changed sharing rule {name}",
                            "Created sharing rule {name}"),
    "SharingOwnerRule": ("Sharing Rules", "changedSharingRule", "Changed sharing rule {name}",
                         "Created sharing rule {name}"),
    "Layout": ("Customize {plural}", "changedLayout", "Changed {name} page layout",
               "Created {name} page layout"),
}


# --- Pull: listing and source tracking (engineer "pull") -----------------------------------
# known_names: types listMetadata does not return (StandardValueSet: "listMetadata() isn't
#   supported", Metadata API Developer Guide). A pull asks for every name of the shipped data
#   file (manifests/) and keeps those that come back.
KNOWN_NAME_LISTS: dict[str, str] = {"StandardValueSet": "standard-value-sets.json"}

# Types whose changes source tracking does not record: an org's SourceMember has no row for
# them, so an incremental pull through SourceMember lists them every time. Source: Salesforce's
# Metadata Coverage Report, API 64 (mdcoverage-report-v64.json), channel `sourceTracking`
# false; then, to be safe, the registry's top-level types that report does not name (newer
# types): listing one costs a call, missing its change would cost a wrong snapshot.
SOURCE_UNTRACKED: frozenset[str] = frozenset({
    "AIAssistantTemplate", "AIUsecaseDefinition", "AccessControlPolicy", "ApiNamedQuery",
    "CallCoachingMediaProvider", "CallCtrAgentFavTrfrDest", "ChoiceList", "ContextDefinition",
    "ConversationVendorFieldDef", "CustomDataType", "DataObjectSearchIndexConf", "DataPipeline",
    "DocumentTemplate", "DynamicTrigger", "EmbeddedServiceFieldService", "EntityImplements",
    "EventDelivery", "EventSubscription", "ExtlClntAppNotificationSettings", "FlowDefinition",
    "Form", "FormSection", "FunctionReference", "GenAiPlanner", "Index", "InstalledPackage",
    "IntegrationHubSettings", "IntegrationHubSettingsType", "InternalOrganization",
    "LicenseDefinition", "LightningOutApp", "LoyaltyProgramSetup", "MLDataDefinition",
    "MLPredictionDefinition", "MLRecommendationDefinition", "ManagedContentType",
    "MarketingResourceType", "MessagingChannel", "MobileSecurityPolicySet", "OmniDataTransform",
    "OmniExtTrackingDef", "OmniIntegrationProcedure", "OmniInteractionAccessConfig",
    "OmniInteractionConfig", "OmniScript", "OmniTrackingGroup", "OmniUiCard", "Orchestration",
    "OrchestrationContext", "Portal", "ProductSpecificationTypeDefinition",
    "PublicKeyCertificate", "PublicKeyCertificateSet", "Scontrol", "SearchCustomization",
    "SearchOrgWideObjectConfig", "SharingRules", "TransactionProcessingType",
    "UserProfileSearchScope", "VisualizationPlugin",
    # not named by the v64 coverage report
    "AiAgentDefinition", "AiAgentDefinitionVersion", "AiAgentScorerDefinition",
    "AiAuthoringBundle", "AiResponseFormat", "AiSurface", "AiTestingDefinition",
    "AssistantRecommendationType", "BusinessProcessFeedbackConfiguration", "CatalogedApi",
    "CatalogedApiArtifactVersionInfo", "CatalogedApiVersion", "CnfgItemAttrDef",
    "CnfgItemAttrPcklstValDef", "CnfgItemAttrPicklistDef", "CnfgItemAttrSetAttr",
    "CnfgItemAttrSetDef", "CnfgItemSourceDefinition", "CnfgItemTypeAttrRelDef",
    "CnfgItemTypeDef", "CnfgItemTypeIdentFieldMap", "CnfgItemTypeIdentRule",
    "CnfgItemTypeRelationDef", "CnfgMgmtRelationTypeDef", "ComputeExtension",
    "CustomExperience", "DataMapperDefinition", "DgtAssetMgmtProvider",
    "DgtAssetMgmtPrvdLghtCpnt", "DynamicUiCardDefinition", "EventType",
    "ExtlClntAppCanvasSettings", "ExtlClntAppOauthSecuritySettings",
    "ExtlClntAppSampleConfigurablePolicies", "ExtlClntAppSampleSettings", "FlexcardDefinition",
    "FlowValueMap", "GiftEntryGridTemplate", "GlobalPicklist", "HouseholdNamingConfig",
    "IdpConfiguration", "InsightType", "IntegArtifactDef", "IntegrationProcdDefinition",
    "McpServerDefinition", "MeetingPlaybookDefinition", "MktDatalakeSrcKeyQualifier",
    "OmniscriptDefinition", "OnboardingDataObjectGroup",
    "PartyProfileDataObjectValidityDefinition", "ProcedurePlanDefinition",
    "RuleLibraryDefinition", "SearchCriteriaConfiguration", "SearchableObjDataSyncInfo",
    "SvcCatalogFilterCondition", "SvcCatalogItemDefFiltrCrit",
    "TelemetryActionDefStep", "TelemetryActionDefinition", "TelemetryActnDefStepAttr",
    "TelemetryDefinition", "TelemetryDefinitionVersion", "UIBundle", "UiViewDefinition",
    "UiWidgetBundle", "XOrgHub",
    # tracked on paper but not reliably recorded: the Salesforce CLI's source-tracking library
    # does not wait for SourceMember rows of these after a deploy, because an org may write none
    # (an object-level change to a CustomObject, a sharing rule...). The local org leaves them
    # out as well; a pull that trusted SourceMember for them would miss such changes.
    "AssignmentRules", "CustomObject", "CustomObjectTranslation", "DataCategoryGroup",
    "EmailFolder", "EmailTemplateFolder", "GlobalValueSetTranslation",
    "SharingCriteriaRule", "StandardValueSet", "StandardValueSetTranslation",
    "TopicsForObjects",
})

# SourceMember names each settings component by its own type (`AccountSettings`, tracked
# per the coverage report), where the registry has one type for them all (`Settings`).
SOURCE_MEMBER_SUFFIX_TYPES: tuple[str, ...] = ("Settings",)

# Public group membership (`.sfenv/group-members.json`): the Group sObject's `Type` value ->
# the metadata type that names such a member (`Group:Billing_Team`); other Group types
# (Role, Queue, RoleAndSubordinates...) keep their own name.
GROUP_MEMBER_TYPES: dict[str, str] = {"Regular": "Group"}
