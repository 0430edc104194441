"""sfdx source format: conversion to and from Metadata API format, sfdx projects read from a
folder or a git ref, and the `git`/`dir` environments materialised as snapshots."""
