"""`xinyong evaluate ACTION`: the credit evaluation models and runs.

Each action is a subcommand with its own arguments (`add_<action>_arguments`) and handler
(`handle_<action>`); add an action by adding both and listing it in ACTIONS.
"""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from xinyong.catalog.registry import SUBJECT_KINDS
from xinyong.common.errors import CatalogError
from xinyong.evaluation.compile import compile_models
from xinyong.evaluation.loader import get_models, load_models, models_dir

ACTIONS = {
    "models": "列出评价模型（--json：完整定义）",
    "check": "载入并检查评价模型；有错误时给出“文件:行号: 原因”",
    "run": "全量评价所有主体（--as-of 评价基准日；--engine duckdb|reference），输出一行 JSON 摘要",
    "update": "增量评价：按变更流水重新评价有变化的主体（尚无结果时全量评价）",
    "explain": "查看一个主体的当前等级、计分依据和可能改变等级的信息（--subject 统一社会信用代码）",
}


class Command(BaseCommand):
    help = "信用评价：" + "；".join(f"{name} {text}" for name, text in ACTIONS.items())

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        for name, text in ACTIONS.items():
            p = sub.add_parser(name, help=text, description=text)
            getattr(self, f"add_{name}_arguments", lambda p: None)(p)

    def handle(self, *args, action, **options):
        try:
            return getattr(self, f"handle_{action}")(**options)
        except CatalogError as exc:
            raise CommandError(exc.message) from exc

    # ------------------------------------------------------------------ models
    def add_models_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="机器可读的 JSON 输出")

    def handle_models(self, json=False, **options):  # noqa: A002
        models = get_models()
        if json:
            self.stdout.write(_dumps({"models": [m.as_dict() for m in models.values()]}))
            return
        stage = {row.model: row.stage for row in compile_models(models).models}
        self.stdout.write(f"{len(models)} 个评价模型（{models_dir()}）")
        for m in models.values():
            kinds = "、".join(SUBJECT_KINDS[k] for k in m.subject_kinds)
            grades = " / ".join(f"{g.code} {g.name}" if g.name != g.code else g.code for g in m.grades)
            self.stdout.write(f"  {m.code:24} {m.name}  版本 {m.version}  阶段 {stage[m.code]}")
            self.stdout.write(f"  {'':24} 评价对象：{kinds}；指标 {len(m.indicators)} 个；等级：{grades}")

    # ------------------------------------------------------------------ check
    def handle_check(self, **options):
        models = load_models(models_dir())
        compiled = compile_models(models)
        self.stdout.write(f"评价模型有效：{len(models)} 个模型，{len(compiled.indicators)} 个指标，{len(compiled.rules)} 条计分规则")


    # ------------------------------------------------------------------ run / update
    def add_run_arguments(self, parser):
        parser.add_argument("--as-of", dest="as_of", type=date.fromisoformat, default=None, help="评价基准日 YYYY-MM-DD（默认今天）")
        parser.add_argument("--engine", choices=["duckdb", "reference"], default="duckdb", help="计算引擎（reference：纯 Python 参考实现，仅用于核对）")

    def handle_run(self, as_of=None, engine="duckdb", **options):
        from xinyong.evaluation.services import evaluation_run
        from xinyong.security.services import Actor

        run = evaluation_run(kind="full", actor=Actor.system("命令行"), as_of=as_of, engine=engine)
        self.stdout.write(_line({"run": run.pk, "status": run.status, "as_of": run.as_of.isoformat(), "results": run.results, "changed": run.changed, "timings": run.timings}))

    def add_update_arguments(self, parser):
        parser.add_argument("--as-of", dest="as_of", type=date.fromisoformat, default=None, help="评价基准日 YYYY-MM-DD（默认今天）")

    def handle_update(self, as_of=None, **options):
        from xinyong.evaluation.services import evaluation_update

        self.stdout.write(_line(evaluation_update(day=as_of)))

    # ------------------------------------------------------------------ explain
    def add_explain_arguments(self, parser):
        parser.add_argument("--subject", required=True, help="统一社会信用代码")
        parser.add_argument("--model", default=None, help="只看该评价模型")

    def handle_explain(self, subject, model=None, **options):
        from xinyong.common.normalize import normalize_code
        from xinyong.evaluation import selectors
        from xinyong.subjects.models import Subject

        found = Subject.objects.filter(uscc=normalize_code(subject)).only("id", "name", "uscc").first()
        if found is None:
            raise CommandError(f"未找到统一社会信用代码为“{subject[:40]}”的主体")
        results = [r for r in selectors.current_results(found.pk, public_only=False) if model in (None, r.model_code)]
        if not results:
            self.stdout.write(f"{found.name}（{found.uscc}）暂无评价结果")
            return
        for result in results:
            ex = selectors.explain(result)
            self.stdout.write(f"{found.name}（{found.uscc}）· {ex.model.name if ex.model else result.model_code} {result.model_version}：{result.grade}（{ex.grade_name}）{result.score:g} 分，基准日 {ex.as_of}")
            if ex.overridden:
                self.stdout.write(f"  按分数为 {result.raw_grade}，因“{ex.override_reason}”调整")
            self.stdout.write(f"  基础分 {ex.base:g}")
            for d in ex.dimensions:
                self.stdout.write(f"  {d.name} {d.total:g}" + (f"（原计 {d.raw:g}）" if d.clamped else ""))
                for i in d.indicators:
                    self.stdout.write(f"    {i.name} {i.total:g}" + (f"（原计 {i.raw:g}）" if i.clamped else ""))
                    for r in i.records:
                        self.stdout.write(f"      {r.points:+g} {r.item_name} {r.document_no or ''} {r.decided_on or ''} {r.department}".rstrip())
            for change in selectors.what_would_change(result):
                self.stdout.write(f"  · {change.text}")


def _line(data) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
