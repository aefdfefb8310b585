"""How and where a trial runs, on the submit host's side.

:mod:`.strategies` says *how* a slot's trial runs (a job per trial, warm workers); each
strategy hands the controller a :class:`~sweeps.run.strategies.Running` attempt to wait for.
:mod:`.executors` says *where* jobs run (local processes, Slurm), behind one
:class:`~sweeps.run.executors.Backend` interface. Each has its registry. This module imports
neither, so a worker job that needs only an executor's facts loads no strategy.
"""
