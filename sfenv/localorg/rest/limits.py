"""`GET /services/data/vNN.0/limits`: every entry Salesforce lists, `{"Max", "Remaining"}`
each (some with a nested entry, as `PermissionSets.CreateCustom`).

The maxima are those of an Enterprise Edition org (a sandbox has the same); the local org
counts only API requests (`DailyApiRequests`, from the server's request limit when a test
sets one), everything else is reported unused.
"""

from __future__ import annotations

# name -> max, in Salesforce's (alphabetical) order; the values of an Enterprise org
MAXIMA: dict[str, int] = {
    "ActiveScratchOrgs": 0, "AnalyticsExternalDataSizeMB": 40960,
    "ConcurrentAsyncGetReportInstances": 200, "ConcurrentEinsteinDataInsightsStoryCreation": 5,
    "ConcurrentEinsteinDiscoveryStoryCreation": 2, "ConcurrentSyncReportRuns": 20,
    "DailyAnalyticsDataflowJobExecutions": 60, "DailyAnalyticsUploadedFilesSizeMB": 51200,
    "DailyApiRequests": 5_000_000, "DailyAsyncApexExecutions": 250000,
    "DailyAsyncApexTests": 500, "DailyBulkApiBatches": 15000,
    "DailyBulkV2QueryFileStorageMB": 976562, "DailyBulkV2QueryJobs": 10000,
    "DailyDeliveredPlatformEvents": 50000, "DailyDurableGenericStreamingApiEvents": 10000,
    "DailyDurableStreamingApiEvents": 10000, "DailyEinsteinDataInsightsStoryCreation": 1000,
    "DailyEinsteinDiscoveryPredictAPICalls": 50000,
    "DailyEinsteinDiscoveryPredictionsByCDC": 500000,
    "DailyEinsteinDiscoveryStoryCreation": 100, "DailyFunctionsApiCallLimit": 235000,
    "DailyGenericStreamingApiEvents": 10000, "DailyScratchOrgs": 0,
    "DailyStandardVolumePlatformEvents": 10000, "DailyStreamingApiEvents": 10000,
    "DailyWorkflowEmails": 2000000, "DataStorageMB": 10240,
    "DurableStreamingApiConcurrentClients": 1000, "FileStorageMB": 10240,
    "HourlyAsyncReportRuns": 1200, "HourlyDashboardRefreshes": 200,
    "HourlyDashboardResults": 5000, "HourlyDashboardStatuses": 999999999,
    "HourlyLongTermIdMapping": 100000, "HourlyManagedContentPublicRequests": 50000,
    "HourlyODataCallout": 20000, "HourlyPublishedPlatformEvents": 250000,
    "HourlyPublishedStandardVolumePlatformEvents": 100000, "HourlyShortTermIdMapping": 100000,
    "HourlySyncReportRuns": 500, "HourlyTimeBasedWorkflow": 1000, "MassEmail": 5000,
    "MonthlyEinsteinDiscoveryStoryCreation": 500,
    "MonthlyPlatformEventsUsageEntitlement": 0, "Package2VersionCreates": 0,
    "Package2VersionCreatesWithoutValidation": 0, "PermissionSets": 1500,
    "PrivateConnectOutboundCalloutHourlyLimitMB": 0, "PublishCallbackUsageInApex": 5000000,
    "SingleEmail": 5000, "StreamingApiConcurrentClients": 1000,
}
NESTED = {"PermissionSets": {"CreateCustom": 1000}}


def limits(api_requests: tuple[int, int] | None, used: dict[str, int] | None = None) -> dict:
    """The whole `/limits` body. `api_requests`: (max, remaining) of DailyApiRequests when a
    test set a request limit; `used`: other entries' use (`DailyBulkV2QueryJobs`...)."""
    used = used or {}
    body: dict[str, dict] = {}
    for name, maximum in MAXIMA.items():
        entry: dict = {"Max": maximum, "Remaining": max(0, maximum - used.get(name, 0))}
        for sub, sub_max in NESTED.get(name, {}).items():
            entry[sub] = {"Max": sub_max, "Remaining": sub_max}
        body[name] = entry
    if api_requests is not None:
        body["DailyApiRequests"] = {"Max": api_requests[0], "Remaining": api_requests[1]}
    return body
