"""TEST DOUBLE of the Spark provider's SparkSubmitOperator (see ../../../../../README.md).

Builds the spark-submit command line as SparkSubmitHook does and runs it; raises on a non-zero exit,
as the real operator does, so a failed task fails the test.
"""
import os
import re
import subprocess

from airflow import BaseOperator


class SparkSubmitOperator(BaseOperator):
    def __init__(self, *, application, conf=None, conn_id="spark_default", files=None, java_class=None,
                 name="arrow-spark", application_args=None, env_vars=None, deploy_mode=None,
                 spark_binary="spark-submit", **kwargs):
        super().__init__(**kwargs)
        self.application = application
        self.conf = dict(conf or {})
        self.conn_id = conn_id
        self.files = files
        self.java_class = java_class
        self.name = name
        self.application_args = list(application_args or [])
        self.env_vars = dict(env_vars or {})
        self.deploy_mode = deploy_mode
        self.spark_binary = spark_binary

    def _connection(self):
        uri = os.environ.get("AIRFLOW_CONN_" + self.conn_id.upper())
        if not uri:
            raise RuntimeError("The conn_id `%s` isn't defined" % self.conn_id)
        master, _, query = uri.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if p)
        return master, params.get("deploy-mode")

    def build_command(self):
        master, conn_deploy_mode = self._connection()
        cmd = [self.spark_binary, "--master", master]
        for key, value in self.conf.items():
            cmd += ["--conf", "%s=%s" % (key, value)]
        if self.files:
            cmd += ["--files", self.files]
        cmd += ["--name", self.name]
        if self.java_class:
            cmd += ["--class", self.java_class]
        deploy_mode = self.deploy_mode or conn_deploy_mode
        if deploy_mode:
            cmd += ["--deploy-mode", deploy_mode]
        return cmd + [self.application] + [str(a) for a in self.application_args]

    def execute(self, context):
        env = dict(os.environ, **self.env_vars)
        done = subprocess.run(self.build_command(), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.log = done.stdout
        if done.returncode != 0:
            # The tail alone may start inside a stack trace: name the throwables first.
            causes = [line for line in done.stdout.splitlines() if THROWABLE.match(line)][:5]
            raise RuntimeError("Cannot execute: %s. Error code is: %d.\nThrown: %s\n%s"
                               % (" ".join(self.build_command()), done.returncode,
                                  "\n".join(causes) or "nothing", done.stdout[-5000:]))
        return done.stdout


THROWABLE = re.compile(r"^(Exception in thread .*|Caused by: .*|[\w.$]+(Exception|Error)(: .*)?)$")
