"""The generated Airflow DAGs, loaded against a stand-in of Airflow (airflow_standin/, a test double:
Airflow cannot be installed here) and run for real.

(That the committed DAG equals what `bin/lakehouse airflow-dag` writes is checked by jobs' AirflowDagTest.)
- the demo DAG's tasks and dependencies equal `bin/lakehouse plan`;
- running each task's spark-submit command in dependency order on Spark runs the demo pipeline:
  gold.pricing_summary equals TPC-H Q1 computed here, in Python, from the landed CSV files; the
  last task maintains the tables (compacts bronze's files).

Needs the project built (`mvn package`: the slim jar and jobs/target/spark-cluster). Run from the
repository root: python3 -m unittest discover -s airflow-dags/tests -v
Environment: LAKEHOUSE_TEST_SPARK_MASTER (default local[2]); LAKEHOUSE_TEST_WORK (scratch folder).
"""
import csv
import glob
import importlib.util
import os
import re
import shlex
import subprocess
import sys
import tempfile
import unittest
from decimal import Decimal
from datetime import date

HERE = os.path.dirname(os.path.abspath(__file__))
HOME = os.path.dirname(os.path.dirname(HERE))
DAGS = os.path.join(HOME, "airflow-dags")
LAKEHOUSE = os.path.join(HOME, "bin", "lakehouse")
PIPELINE = "conf/pipelines/tpch.conf"
JOBS_TARGET = os.path.join(HOME, "jobs", "target")
sys.path.insert(0, os.path.join(HERE, "airflow_standin"))


def require_build():
    jar = glob.glob(os.path.join(JOBS_TARGET, "lakehouse-jobs-*-spark-submit.jar"))
    needed = [os.path.join(JOBS_TARGET, "classpath.txt"), os.path.join(JOBS_TARGET, "spark-cluster", "classpath.txt")]
    missing = [p for p in needed if not os.path.isfile(p)] + ([] if jar else ["the slim jar"])
    if missing:
        raise AssertionError("Cannot run: the project is not built (%s missing); run mvn -DskipTests package" % missing)
    return jar[0]


def lakehouse(*args, env=None):
    done = subprocess.run([LAKEHOUSE, *args], cwd=HOME, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise AssertionError("bin/lakehouse %s exited %d:\n%s\n%s" % (" ".join(args), done.returncode, done.stdout, done.stderr))
    return done.stdout


def load_dag(path):
    spec = importlib.util.spec_from_file_location("dag_" + os.path.basename(path)[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from airflow import DAG
    dags = [v for v in vars(module).values() if isinstance(v, DAG)]
    assert len(dags) == 1, "expected one DAG in %s, found %d" % (path, len(dags))
    return dags[0]


LAYERS = {"bronze", "silver", "gold"}
MAINTAIN = "maintain"   # the DAG's last task: bin/lakehouse maintain --all


def layer(table):
    return table.split(".")[0]


def plan():
    """bin/lakehouse plan as {table: [tables it reads]}, in run order."""
    steps = {}
    for line in lakehouse("plan", "--conf", PIPELINE).splitlines():
        m = re.match(r"\s*\d+\. (\S+)\s+\S+\s+reads (.*)$", line)
        if m:
            reads = m.group(2).strip()
            steps[m.group(1)] = [] if reads == "(source)" else sorted(r.strip() for r in reads.strip("[]").split(","))
    return steps


def q1_from_landing(landing):
    """TPC-H Q1 (DELTA = 90) over every landed lineitem CSV file, with Python's decimals."""
    cutoff = date(1998, 9, 2)
    groups = {}
    for path in sorted(glob.glob(os.path.join(landing, "lineitem", "*.csv"))):
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                if date.fromisoformat(r["l_shipdate"]) > cutoff:
                    continue
                qty, price = Decimal(r["l_quantity"]), Decimal(r["l_extendedprice"])
                disc, tax = Decimal(r["l_discount"]), Decimal(r["l_tax"])
                g = groups.setdefault((r["l_returnflag"], r["l_linestatus"]), [Decimal(0)] * 5 + [0])
                g[0] += qty
                g[1] += price
                g[2] += price * (1 - disc)
                g[3] += price * (1 - disc) * (1 + tax)
                g[4] += disc
                g[5] += 1
    rows = []
    for (flag, status), (qty, price, disc_price, charge, disc, n) in sorted(groups.items()):
        rows.append([flag, status, qty, price, disc_price, charge, qty / n, price / n, disc / n, Decimal(n)])
    return rows


class GeneratedDagsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.jar = require_build()

    def test_demo_dag_has_the_plans_tasks_dependencies_and_schedule(self):
        dag = load_dag(os.path.join(DAGS, "lakehouse_tpch.py"))
        expected = plan()
        maintain = dag.task_dict.pop(MAINTAIN)   # the last task, checked below
        per_layer = set(dag.task_dict) <= LAYERS
        if per_layer:
            # A task per layer waits for the layers its tables read (tables of one layer run in plan order inside it).
            layers = {}
            for table, reads in expected.items():
                layers.setdefault(layer(table), set()).update(layer(r) for r in reads if layer(r) != layer(table))
            expected = {k: sorted(v) for k, v in layers.items()}
        self.assertEqual(list(expected), [t.task_id for t in dag.topological_sort()])
        self.assertEqual(expected, {t.task_id: sorted(t.upstream_task_ids) for t in dag.task_dict.values()})
        self.assertEqual("0 3 * * *", dag.schedule)
        self.assertEqual(2, dag.default_args["retries"])
        self.assertEqual(300, dag.default_args["retry_delay"].total_seconds())
        self.assertFalse(dag.catchup)
        for task in dag.task_dict.values():
            self.assertEqual(2, task.retries)
            self.assertEqual(["run", "--layer" if per_layer else "--tables", task.task_id], task.application_args[:3])
            self.assertIn("pipelines/tpch.conf", task.files)
        # Maintenance waits for every task of the plan no other task waits for, so for all of them.
        last = set(expected) - {up for ups in expected.values() for up in ups}
        self.assertEqual(last, maintain.upstream_task_ids)
        self.assertEqual(set(), maintain.downstream_task_ids)
        self.assertEqual(["maintain", "--all", "--conf"], maintain.application_args[:3])
        self.assertEqual(2, maintain.retries)

    def test_running_every_task_in_dependency_order_runs_the_demo_pipeline(self):
        work = tempfile.mkdtemp(prefix="airflow-dag-", dir=os.environ.get("LAKEHOUSE_TEST_WORK"))
        root = os.path.join(work, "lakehouse")
        bin_dir = os.path.join(work, "bin")
        os.makedirs(bin_dir)
        # spark-submit of a Spark made of Maven jars (the jobs build lists them in target/spark-cluster).
        with open(os.path.join(JOBS_TARGET, "spark-cluster", "classpath.txt")) as f:
            jars = f.read().strip().split(os.pathsep) + glob.glob(os.path.join(JOBS_TARGET, "spark-cluster", "extra", "*.jar"))
        java17 = lakehouse_java17_flags()
        shim = os.path.join(bin_dir, "spark-submit")
        with open(shim, "w") as f:
            # C1 only: these drivers live a minute; full JIT would double their CPU time.
            f.write("#!/bin/sh\nexec java -Xmx1g -XX:TieredStopAtLevel=1 %s -cp %s org.apache.spark.deploy.SparkSubmit \"$@\"\n"
                    % (java17, shlex.quote(os.pathsep.join(jars))))
        os.chmod(shim, 0o755)
        env = dict(os.environ, LAKEHOUSE_ROOT=root, SPARK_LOCAL_IP="127.0.0.1")
        lakehouse("demo", "--land-only", "--drops", "1", env=env)

        os.environ.update({
            "PATH": bin_dir + os.pathsep + os.environ["PATH"],
            "LAKEHOUSE_JAR": self.jar,
            "LAKEHOUSE_CONF_DIR": os.path.join(HOME, "conf"),
            "LAKEHOUSE_ENV": "local",
            "LAKEHOUSE_ROOT": root,
            "SPARK_LOCAL_IP": "127.0.0.1",
            "AIRFLOW_CONN_SPARK_DEFAULT": os.environ.get("LAKEHOUSE_TEST_SPARK_MASTER", "local[2]"),
        })
        dag = load_dag(os.path.join(DAGS, "lakehouse_tpch.py"))   # reads the environment when loaded
        finished = run_in_dependency_order(dag, parallelism=int(os.environ.get("LAKEHOUSE_TEST_PARALLELISM", "2")))
        self.assertEqual(set(dag.task_dict), set(finished))
        self.assertEqual(MAINTAIN, list(finished)[-1])
        for task_id, out in finished.items():
            self.assertNotIn("[failed]", out, out[-3000:])
            if task_id != MAINTAIN:
                self.assertIn("[succeeded] " + task_id + ("." if task_id in LAYERS else ":"), out, out[-3000:])
        # bronze.lineitem holds several small files after its load: compacted into one.
        self.assertRegex(finished[MAINTAIN], r"\[maintained\] bronze\.lineitem: compacted \d+ files into 1;")
        self.assertIn("[maintained] _lakehouse.runs:", finished[MAINTAIN])

        got = list(csv.reader(lakehouse("sql", "SELECT * FROM gold.pricing_summary ORDER BY l_returnflag, l_linestatus",
                                        env=env).splitlines()))[1:]
        want = q1_from_landing(os.path.join(root, "landing"))
        # The official TPC-H answer at SF 0.01, row A|F: sum_qty 380456, count_order 14876.
        self.assertEqual(["A", "F", "380456.00"], got[0][:3])
        self.assertEqual("14876", got[0][9])
        self.assertEqual(len(want), len(got))
        for g, w in zip(got, want):
            self.assertEqual(w[:2], g[:2])
            for i in range(2, 10):
                self.assertLessEqual(abs(Decimal(g[i]) - w[i]), Decimal("0.00001"), "%s column %d: %s vs %s" % (g[:2], i, g[i], w[i]))


def run_in_dependency_order(dag, parallelism):
    """Executes every task once its upstream tasks have finished, up to `parallelism` at a time, and
    a failed task again up to its `retries` times (as Airflow's scheduler would, without the delay);
    returns each task's output in the order the tasks finished."""
    from concurrent.futures import ThreadPoolExecutor, FIRST_COMPLETED, wait
    finished, running, tries = {}, {}, {}
    with ThreadPoolExecutor(max_workers=parallelism) as pool:
        while len(finished) < len(dag.task_dict):
            for task in dag.topological_sort():
                if task.task_id not in finished and task.task_id not in running.values() \
                        and task.upstream_task_ids <= set(finished):
                    tries[task.task_id] = tries.get(task.task_id, 0) + 1
                    running[pool.submit(task.execute, {})] = task.task_id
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in done:
                task_id = running.pop(future)
                task = dag.task_dict[task_id]
                try:
                    finished[task_id] = future.result()
                except Exception as e:
                    if tries[task_id] > task.retries:
                        raise   # out of retries: the test fails
                    # A retry reruns a layer after a failed run: the answers checked later prove it repairs.
                    print("\nTask %s failed on try %d of %d, retrying as Airflow would: %s"
                          % (task_id, tries[task_id], task.retries + 1, str(e)[:3000]), file=sys.stderr)
    return finished


def lakehouse_java17_flags():
    """The add-opens list, read from bin/java-flags.sh (the one place the scripts take it from)."""
    with open(os.path.join(HOME, "bin", "java-flags.sh")) as f:
        text = f.read()
    block = text[text.index("JAVA17_FLAGS=(") + len("JAVA17_FLAGS=("):]
    return " ".join(block[:block.index(")")].split())


if __name__ == "__main__":
    unittest.main()
