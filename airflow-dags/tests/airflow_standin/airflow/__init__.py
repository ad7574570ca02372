"""TEST DOUBLE of apache-airflow's DAG (see ../README.md): records tasks and their dependencies."""

_current = []


class DAG:
    def __init__(self, dag_id, description=None, schedule=None, start_date=None, catchup=True,
                 max_active_runs=16, default_args=None, tags=None):
        self.dag_id = dag_id
        self.description = description
        self.schedule = schedule
        self.start_date = start_date
        self.catchup = catchup
        self.max_active_runs = max_active_runs
        self.default_args = dict(default_args or {})
        self.tags = list(tags or [])
        self.task_dict = {}

    def __enter__(self):
        _current.append(self)
        return self

    def __exit__(self, *exc):
        _current.pop()
        return False

    def add_task(self, task):
        if task.task_id in self.task_dict:
            raise ValueError("Task id '%s' has already been added to the DAG" % task.task_id)
        self.task_dict[task.task_id] = task

    def topological_sort(self):
        """Tasks, every task after the ones it waits for (fails on a cycle, as Airflow does)."""
        done, order = set(), []
        pending = list(self.task_dict.values())
        while pending:
            ready = [t for t in pending if t.upstream_task_ids <= done]
            if not ready:
                raise ValueError("A cyclic dependency occurred in dag: %s" % self.dag_id)
            for t in ready:
                order.append(t)
                done.add(t.task_id)
                pending.remove(t)
        return order


class BaseOperator:
    """Enough of Airflow's BaseOperator: task id, default_args, and the >> / << dependency operators."""

    def __init__(self, task_id, **kwargs):
        self.task_id = task_id
        self.dag = _current[-1] if _current else None
        defaults = self.dag.default_args if self.dag else {}
        self.owner = kwargs.pop("owner", defaults.get("owner", "airflow"))
        self.retries = kwargs.pop("retries", defaults.get("retries", 0))
        self.retry_delay = kwargs.pop("retry_delay", defaults.get("retry_delay"))
        if kwargs:
            raise TypeError("Invalid arguments were passed to %s: %s" % (type(self).__name__, sorted(kwargs)))
        self.upstream_task_ids = set()
        self.downstream_task_ids = set()
        if self.dag:
            self.dag.add_task(self)

    def set_downstream(self, other):
        for o in other if isinstance(other, (list, tuple)) else [other]:
            self.downstream_task_ids.add(o.task_id)
            o.upstream_task_ids.add(self.task_id)

    def __rshift__(self, other):
        self.set_downstream(other)
        return other

    def __rrshift__(self, other):
        for o in other if isinstance(other, (list, tuple)) else [other]:
            o.set_downstream(self)
        return self

    def __lshift__(self, other):
        for o in other if isinstance(other, (list, tuple)) else [other]:
            o.set_downstream(self)
        return other

    def __rlshift__(self, other):
        self.set_downstream(other)
        return self
