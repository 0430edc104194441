"""Notifications: one event sent to the channels of sfenv.yml that want it (`service`)."""
