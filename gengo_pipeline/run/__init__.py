"""The run machinery: settings, the planner (dates, scale, work units), the executor and its worker pool."""
