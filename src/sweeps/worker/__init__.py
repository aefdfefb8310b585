"""The warm worker job: a long-lived job whose lanes run many trials each, pulled from the study.

The worker (:mod:`.worker`) forks lanes (:mod:`.lanes`) that claim published trials from the
study (:mod:`.queue`), are woken by the doorbell (:mod:`.wakeups`) and record each outcome for
the trial's controller. Nothing here imports the submit host's side: the controller's half of
warm mode is :mod:`sweeps.run.strategies.warm`, which publishes trials and starts these jobs.
"""
