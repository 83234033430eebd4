"""``paperbot run``, the long-lived service: :mod:`jobs.service.loop` (the Service class),
with source health (:mod:`.health`), the systemd notify protocol (:mod:`.sdnotify`) and the
state-directory locks (:mod:`.lock`)."""
