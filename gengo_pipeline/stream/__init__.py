"""Real-time generation: the rows of a window as one stream of events in event-time order (`gengo stream`).

clock.py gives every row its event time, merge.py merges the tables' rows of a day into one ordered stream
(a parent row before any row that references it), offset.py names a position in it (computed, never
stored), pacing.py decides when events may go (rate, speed, real time), sinks/ deliver them, runner.py
drives the loop.
"""
