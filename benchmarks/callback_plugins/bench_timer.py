# Copyright (c) 2026, linuxnet.macvlan contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark helper, not part of the collection's plugins: records when each task and
play starts and when the run ends, as JSON in the file named by LMV_BENCH_TIMES."""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: bench_timer
type: aggregate
short_description: Task start times for benchmarks/run.py
description:
  - Writes the start time of every task and play and the end of the run to E(LMV_BENCH_TIMES).
requirements:
  - enabled in callbacks_enabled
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.events: list[list] = []
        self.changed = 0

    def v2_playbook_on_play_start(self, play) -> None:
        self.events.append(["play", play.get_name(), time.perf_counter()])

    def v2_playbook_on_task_start(self, task, is_conditional) -> None:
        self.events.append(["task", task.get_name(), time.perf_counter()])

    def v2_playbook_on_stats(self, stats) -> None:
        self.events.append(["end", "", time.perf_counter()])
        changed = sum(stats.changed.values())
        failed = sum(stats.failures.values()) + sum(stats.dark.values())
        path = os.environ.get("LMV_BENCH_TIMES")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump({"events": self.events, "changed": changed, "failed": failed}, handle)
