import os
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand


def default_workers() -> int:
    """gunicorn's advice, (2 × cores) + 1 processes of one thread each: the pages are CPU-bound
    Python, so threads of one process wait for each other's interpreter lock (two requests on one
    2×4 process took twice as long as on two processes), while processes run side by side."""
    return min(2 * (os.cpu_count() or 1) + 1, 9)


class Command(BaseCommand):
    help = "启动平台：WSGI 服务（gunicorn）和后台任务进程。xinyong serve [--port N]"

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--workers", type=int, default=default_workers(), help="gunicorn 工作进程数（默认：CPU 核数×2+1，至多 9）")
        parser.add_argument("--threads", type=int, default=1, help="每个工作进程的线程数（默认 1）")
        parser.add_argument("--no-worker", action="store_true", help="不启动后台任务进程（另行运行 xinyong worker）")

    def handle(self, port, host, workers, threads, no_worker, **options):
        env = dict(os.environ)
        env.setdefault("DJANGO_SETTINGS_MODULE", "xinyong.settings.base")
        procs = []
        if not no_worker:
            procs.append(subprocess.Popen([sys.executable, "-m", "xinyong", "worker"], env=env))  # noqa: S603
        server = subprocess.Popen(  # noqa: S603
            [
                sys.executable, "-m", "gunicorn", "xinyong.wsgi:application",
                "--bind", f"{host}:{port}", "--workers", str(workers), "--threads", str(threads),
                "--access-logfile", "-", "--graceful-timeout", "10", "--timeout", "120",
            ],
            env=env,
        )
        procs.append(server)
        self.stdout.write(f"信用吉林已启动：http://{host}:{port}/  （Ctrl+C 停止）")

        def stop(*_):
            for p in procs:
                if p.poll() is None:
                    p.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for p in procs:
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
