"""Warm workers: long-lived jobs whose lanes run many trials each, pulled from the study.

The controller side publishes trials and awaits their outcomes (:mod:`.publish`), starting
worker jobs as needed (:mod:`.pool`); the worker job (:mod:`.worker`) forks lanes
(:mod:`.lanes`) that claim trials from the study (:mod:`.queue`).
"""
