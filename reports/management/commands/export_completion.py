import sys

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import translation
from tqdm import tqdm

from programme.models import Department, Programme
from reports import csv_export, xlsx_export
from reports.rules import Filters, full_scope, report_leaders, sorted_leaders


class Command(BaseCommand):
    help = (
        "Write the completion report as CSV, one row per leader: one department "
        "(--department CODE or id) or, without it, every department. The same file as "
        "the download on the report page."
    )

    def add_arguments(self, parser):
        parser.add_argument("--department", help="Department code (e.g. ØKS) or id; default all.")
        parser.add_argument(
            "--output",
            required=True,
            help="The file to write: .xlsx for an Excel workbook, else CSV ('-' for stdout).",
        )
        parser.add_argument(
            "--dialect",
            choices=[value for value, _ in csv_export.Dialect.CHOICES],
            default=csv_export.Dialect.EXCEL_DA,
            help="excel_da: semicolons, BOM (default); standard: RFC 4180 commas, no BOM.",
        )
        parser.add_argument("--language", default="da", help="Language of the header (da, en).")

    def handle(self, *args, department, output, dialect, language, **options):
        programme = Programme.current()
        if programme is None:
            raise CommandError("There is no programme to report on.")
        filters = Filters(programme=programme, department=self._department(department))
        modules = list(programme.modules.order_by("order"))
        leaders = report_leaders(full_scope(), filters)
        total = leaders.count()
        leaders = sorted_leaders(leaders, "department")
        with translation.override(language):
            head = csv_export.header(modules)
            rows = tqdm(
                csv_export.rows(
                    leaders, modules, filters.now, as_text=not output.endswith(".xlsx")
                ),
                total=total,
                unit=" leaders",
                file=sys.stderr,
                disable=None,  # a bar on a terminal, silence in cron
            )
            target = sys.stdout.buffer if output == "-" else open(output, "wb")  # noqa: SIM115
            try:
                if output.endswith(".xlsx"):
                    xlsx_export.write(head, rows, target)
                else:
                    for chunk in csv_export.encode(head, rows, dialect):
                        target.write(chunk)
            finally:
                if target is not sys.stdout.buffer:
                    target.close()
        if output != "-":
            self.stdout.write(f"Wrote {total} leaders to {output} ({dialect}).")

    def _department(self, value: str | None) -> Department | None:
        if not value:
            return None
        lookup = (
            Q(code=value) | Q(code__iexact=value) | (Q(pk=int(value)) if value.isdigit() else Q())
        )
        department = Department.objects.filter(lookup).first()
        if department is None:
            raise CommandError(f"No department with code or id {value!r}.")
        return department
