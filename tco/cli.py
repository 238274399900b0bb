"""The ``tco`` command line: serve the app, list, validate and import pricing tables."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import pandas as pd

from tco.catalog import DEFAULT_PRICING_DIR, CatalogError, load_catalog, table_frame, write_table
from tco.web.text import csv_text
from tco.settings import Settings, SettingsError
from tco.tables import TABLE_NAMES, TABLES


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tco")
def main() -> None:
    """tco: total cost of ownership of AI, closed APIs vs open models on GPUs."""


@main.command()
@click.option("--host", default=None, help="Address to listen on [default: TCO_HOST or 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port to listen on [default: TCO_PORT or 8000].")
@click.option("--workers", type=int, default=None, help="gunicorn workers [default: TCO_WORKERS or 2].")
@click.option("--threads", type=int, default=None, help="Threads per worker [default: TCO_THREADS or 8].")
@click.option("--dev", is_flag=True, help="Use Flask's development server (auto-reload, debugger) instead of "
                                          "gunicorn; loopback addresses only.")
def serve(host, port, workers, threads, dev) -> None:
    """Serve the dashboard and the API."""
    from tco.web.guard import is_loopback
    try:
        settings = Settings.from_env(host=host, port=port, workers=workers, threads=threads)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None
    if dev:
        if not is_loopback(settings.host):
            raise click.UsageError(f"--dev runs Flask's debugger, which executes code sent to it: it listens on a "
                                   f"loopback address only (127.0.0.1, ::1, localhost), not {settings.host!r}")
        from tco.web import create_app
        create_app(settings).run(host=settings.host, port=settings.port, debug=True)
        return
    # Validate the tables before forking workers, so a bad row fails loudly once.
    try:
        load_catalog(extra_dirs=settings.pricing_dirs, as_of=settings.as_of or None, use_env=False)
    except CatalogError as exc:
        _print_errors(exc)
        sys.exit(1)
    if not is_loopback(settings.host) and settings.host_names == Settings().host_names:
        click.echo(f"note: listening on {settings.host}, but only requests for localhost are answered; set "
                   f"TCO_ALLOWED_HOSTS to the names clients use", err=True)
    argv = ["gunicorn", "--bind", f"{settings.host}:{settings.port}", "--workers", str(settings.workers),
            "--worker-class", "tco.web.server.Worker", "--threads", str(settings.threads),
            "--keep-alive", "5", "--graceful-timeout", str(int(settings.heavy_timeout_s) + 5),
            "--limit-request-line", str(min(8190, settings.max_url_bytes + 64)),
            "--no-control-socket", "--access-logfile", "-", "tco.web:create_app()"]
    click.echo(f"tco serving on http://{settings.host}:{settings.port}", err=True)
    os.execvp(sys.executable, [sys.executable, "-m", *argv])


@main.group()
def catalog() -> None:
    """Inspect, validate and import pricing tables."""


def _print_errors(exc: CatalogError) -> None:
    for line in exc.errors:
        click.echo(line, err=True)
    click.echo(f"{len(exc.errors)} error(s)", err=True)


def _load_or_exit(dirs, as_of):
    """The shipped tables with the overlay folders, at ``as_of``; exit 1 on bad rows, 2 on a bad date."""
    try:
        return load_catalog(extra_dirs=dirs, as_of=as_of)
    except CatalogError as exc:
        _print_errors(exc)
        sys.exit(1)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


@catalog.command("list")
@click.argument("table", required=False)
@click.option("--dir", "dirs", multiple=True, type=click.Path(), help="Overlay folder (repeatable).")
@click.option("--as-of", default=None, help="Prices in force on this date (YYYY-MM-DD) [default: today].")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
def catalog_list(table, dirs, as_of, fmt) -> None:
    """List the tables with their row counts, or the rows of TABLE."""
    cat = _load_or_exit(dirs, as_of)
    if table is None:
        for name, n in cat.row_counts().items():
            click.echo(f"{name:24s} {n:6d}  {TABLES[name].description}")
        return
    if table not in TABLE_NAMES:
        raise click.UsageError(f"unknown table {table!r}; valid tables: {', '.join(TABLE_NAMES)}")
    df = cat[table]
    if fmt == "csv":                                         # for spreadsheets: formula cells neutralised
        click.echo(csv_text(table_frame(df, table)), nl=False)
    else:
        cols = [c for c in df.columns if c not in ("source_url", "notes")]
        with pd.option_context("display.max_rows", None, "display.width", 200, "display.max_columns", None):
            click.echo(df[cols].to_string(index=False))


@catalog.command("validate")
@click.argument("dirs", nargs=-1, type=click.Path())
def catalog_validate(dirs) -> None:
    """Validate folders of tables (default: the shipped tco/pricing/).

    Each folder is overlaid on the shipped tables, so a partial folder is checked
    against them (e.g. a GPU rate for a GPU defined only in tco/pricing/gpus.csv).
    Prints one ``file:line: column: message`` line per bad row and exits 1.
    """
    try:
        cat = load_catalog(extra_dirs=dirs or (DEFAULT_PRICING_DIR,), use_env=False)
    except CatalogError as exc:
        _print_errors(exc)
        sys.exit(1)
    total = sum(len(df) for df in cat.history.values())
    click.echo(f"ok: {total} rows in {len(TABLE_NAMES)} tables valid ({', '.join(str(d) for d in dirs) or DEFAULT_PRICING_DIR})")


@catalog.command("check")
@click.option("--dir", "dirs", multiple=True, type=click.Path(), help="Overlay folder (repeatable).")
@click.option("--as-of", default=None, help="Judge the tables on this date (YYYY-MM-DD) [default: today].")
@click.option("--horizon-months", default=12, show_default=True, type=click.IntRange(1, 1200),
              help="List promotions, scheduled changes and shutdowns up to this many months ahead.")
@click.option("--max-age-days", default=365, show_default=True, type=click.IntRange(1, 36500),
              help="Rows in force dated more than this many days before --as-of are stale.")
@click.option("--strict", is_flag=True, help="Exit 1 when a problem is found (e.g. a model in force past its shutdown).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def catalog_check(dirs, as_of, horizon_months, max_age_days, strict, fmt) -> None:
    """Check how current the tables are: stale rows, promotions and shutdowns ahead, models past
    their shutdown, gaps (a GPU without a rate, a hosted open model without its architecture)."""
    import json as _json

    from tco.freshness import check_catalog

    cat = _load_or_exit(dirs, as_of)
    report = check_catalog(cat, horizon_months=horizon_months, max_age_days=max_age_days)
    if fmt == "json":
        click.echo(_json.dumps(report.to_dict(), indent=2))
    else:
        click.echo("\n".join(report.lines()))
    if strict and not report.ok:
        click.echo(f"--strict: {report.counts['problem']} problem(s)", err=True)
        sys.exit(1)


@catalog.command("import-litellm")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write api_prices.csv and image_prices.csv into (created if needed).")
@click.option("--effective-date", default=None, help="effective_date of the imported rows [default: today].")
def catalog_import_litellm(file, out_dir, effective_date) -> None:
    """Import a LiteLLM-format JSON price file into a folder of tables (an overlay)."""
    from tco.litellm import import_litellm

    try:
        result = import_litellm(file, effective_date=effective_date)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    _write_import(result, out_dir)


@catalog.command("import-genai-prices")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write api_prices.csv into (created if needed).")
@click.option("--effective-date", default=None,
              help="Day the data was read: effective_date of prices the source gives no start date for "
                   "[default: today].")
def catalog_import_genai_prices(file, out_dir, effective_date) -> None:
    """Import pydantic's genai-prices data (FILE, a data.json; default: the data bundled with the installed
    genai-prices package) into a folder of tables (an overlay), keeping its dated price changes."""
    from tco.genai_prices import import_genai_prices

    try:
        result = import_genai_prices(file, effective_date=effective_date)
    except ImportError:
        raise click.UsageError("the genai-prices package is not installed: give the path of a data.json") from None
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    _write_import(result, out_dir)


def _write_import(result, out_dir) -> None:
    """Write an importer's tables (those with rows, and always api_prices) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ("api_prices", "image_prices", "model_lifecycle"):
        df = getattr(result, name)
        if name == "api_prices" or len(df):
            write_table(df, out / f"{name}.csv", name)
            written.append(str(out / f"{name}.csv"))
    click.echo(result.summary())
    click.echo("wrote " + ", ".join(written))


@main.command()
@click.option("--dir", "dirs", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="Extra folder of tables (extra measured rows) on top of the shipped ones.")
@click.option("--loso/--no-loso", default=True, help="Also refit without each source and score it (a few s).")
@click.option("--rows", is_flag=True, help="Print every fitted row with its ratio.")
@click.option("--folds", is_flag=True, help="With the leave-one-source-out table, print each fold's fitted "
                                            "parameters beside the fit on all sources.")
def calibrate(dirs, loso, rows, folds) -> None:
    """Fit the throughput model's efficiencies on the measured rows and print how well it does.

    The fit uses the tuned measurements of throughput_benchmarks (every measurement weighing the
    same); the leave-one-source-out table scores each source with a fit that never saw it, and the
    same out-of-source predictions by GPU vendor and by engine, and says whether the pooled score
    meets the bar the suite holds it to (``calibration.OUT_OF_SOURCE_BAR``).
    """
    from tco import calibration as cal
    from tco.throughput import IMAGE_EFFICIENCY

    cat = _load_or_exit(dirs, None)
    frame = cal.catalog_measurements(cat)
    tuned = cal.fitted_rows(frame)
    params = cal.fit(tuned)
    click.echo("fitted parameters (shipped in tco.throughput -> fitted now):")
    shipped = cal.current_parameters()
    for name, *_ in cal.PARAMETERS:
        click.echo(f"  {name:<24} {shipped[name]:>12.5g} -> {params[name]:.5g}")
    tuned_tps = cal.modelled(tuned)   # [tokens/s] at the shipped efficiencies: the in-sample figures below
    untuned = frame[~frame["tuned"].astype(bool)]
    for label, part, tps in (("tuned rows, shipped defaults", tuned, tuned_tps),
                             ("untuned rows (not fitted)", untuned, cal.modelled(untuned))):
        sc = cal.score(part["output_tokens_per_second"], tps)
        click.echo(f"{label}: {sc['rows']} rows, median measured/modelled {sc['median_ratio']:.3f}, "
                   f"within 25 %: {sc['within_25']:.0%}, within 35 %: {sc['within_35']:.0%}")
    if rows:
        ratio = tuned["output_tokens_per_second"] / tuned_tps
        for (_, r), q in zip(tuned.iterrows(), ratio):
            click.echo(f"  {r['source_id']:<40} {r['model_id']:<18} {r['gpu_id']:<10} x{int(r['gpu_count'])} "
                       f"{r['precision']:<6} {r['engine']:<8} {int(r['input_tokens'])}/{int(r['output_tokens'])} "
                       f"c={r['concurrency'] if pd.notna(r['concurrency']) else '-'}  {q:.2f}")
    if loso:
        pred = cal.out_of_source_predictions(tuned)
        fmt = dict(index=False, float_format=lambda v: f"{v:.3f}")
        click.echo("leave one source out (fit on the others, score the one left out; beside it the same rows "
                   "in sample, fitted on every source):")
        by_source = cal.in_and_out_of_source_scores(pred, "source", in_sample_tps=tuned_tps)   # same rows, same order
        click.echo(by_source.to_string(**fmt))
        click.echo("the same out-of-source predictions by GPU vendor and by engine:")
        click.echo(cal.out_of_source_scores(pred, "gpu_vendor").to_string(**fmt))
        click.echo(cal.out_of_source_scores(pred, "engine").to_string(**fmt))
        if folds:
            click.echo("fitted parameters without each source (a parameter only the left-out source informs moves):")
            click.echo(cal.fold_parameter_table(pred, params).to_string(float_format=lambda v: f"{v:.4g}"))
        pooled = by_source.iloc[-1]
        lo, hi = cal.OUT_OF_SOURCE_BAR["median_ratio"]
        click.echo(f"bar: pooled median {lo}-{hi} and at least {cal.OUT_OF_SOURCE_BAR['within_25']:.0%} within 25 %: "
                   f"{pooled['median_ratio']:.3f} and {pooled['within_25']:.1%}, "
                   f"{'met' if cal.meets_out_of_source_bar(pooled) else 'NOT met'}")
    images = cal.catalog_image_measurements(cat)
    click.echo(f"images: diffusion compute efficiency (CUDA, share of the BF16 peak) "
               f"{IMAGE_EFFICIENCY['cuda']:.3g} -> fitted now {cal.fit_image_efficiency(images):.3g}")
    click.echo("images, leave one GPU out (and the independent MLPerf check, never fitted):")
    click.echo(cal.leave_one_gpu_out_images(images).to_string(index=False, float_format=lambda v: f"{v:.3f}"))


REPORT_FORMATS = {"html": ".html", "pdf": ".pdf", "xlsx": ".xlsx", "csv": ".csv", "csv-wide": ".csv"}
#: The fields of the guide's body (POST /api/v1/guide) beside the scenario: what ``--guide`` may hold.
GUIDE_KEYS = ("questions", "effort", "hosted_model", "user_scores_csv")


def _read_json(path: str) -> dict:
    import json as _json
    try:
        body = _json.loads(Path(path).read_text(encoding="utf-8"))
    except ValueError as exc:
        raise click.UsageError(f"{path}: not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise click.UsageError(f"{path}: a JSON object is wanted")
    return body


def _report_body(scenario_file: str, guide_file: str | None, scores_file: str | None) -> tuple[dict, dict]:
    """The report's body as POST /api/v1/report takes it (the guide's body): the scenario file, the
    ``--guide`` file's answers over it, the ``--scores`` CSV as its ``user_scores_csv``; and the file
    each top-level field came from, to name it in a message."""
    body = _read_json(scenario_file)
    origin = {}
    if guide_file:
        answers = _read_json(guide_file)
        unknown = sorted(set(answers) - set(GUIDE_KEYS))
        if unknown:
            raise click.UsageError(f"{guide_file}: unknown field {unknown[0]!r} (a guide file takes "
                                   f"{', '.join(GUIDE_KEYS)})")
        body.update(answers)
        origin.update(dict.fromkeys(answers, guide_file))
    if scores_file:
        body["user_scores_csv"] = Path(scores_file).read_text(encoding="utf-8")
        origin["user_scores_csv"] = f"--scores {scores_file}"
    return body, origin


def _where(field: str, origin: dict, default: str) -> str:
    """The file a field at fault (``questions.data_region``, ``user_scores_csv: line 2: model``) came from."""
    return origin.get(field.split(".")[0].split(":")[0], default)


@main.command()
@click.argument("scenario_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(list(REPORT_FORMATS)), default="html", show_default=True,
              help="html or pdf: the one-page report; xlsx: the workbook (summary, wide monthly sheet, "
                   "assumptions); csv / csv-wide: the monthly schedule, long or wide.")
@click.option("--currency", "code", default=None,
              help="Show amounts in EUR, GBP, JPY, CHF, CAD, AUD, INR or CNY (fx_rates.csv) [default: the file's "
                   "currency, else USD].")
@click.option("--title", default="tco report", show_default=True, help="Title of the report or workbook.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="File to write [default: tco_report.<ext> in the current folder; - = standard output].")
@click.option("--dir", "dirs", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="Extra folder of tables on top of the shipped ones.")
@click.option("--guide", "guide_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="html or pdf: a JSON file of the guide's answers (questions, effort, hosted_model, "
                   "user_scores_csv, as POST /api/v1/guide takes them) for the report's head-to-head.")
@click.option("--scores", "scores_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="html or pdf: your eval scores, a CSV model,task,score, for the guide's performance row.")
def report(scenario_file, fmt, code, title, output, dirs, guide_file, scores_file) -> None:
    """Price the scenario in SCENARIO_FILE (the JSON body of POST /api/v1/tco; for html and pdf that of
    POST /api/v1/report, which may carry the guide's answers too) and write its report, workbook or
    monthly CSV."""
    import marshmallow as ma

    from tco.currency import currency
    from tco.engine import evaluate
    from tco.scenario import ScenarioError
    from tco.web.api.scenarios.schemas import ScenarioSchema
    from tco.web.errors import ApiError, flatten_messages

    guided = fmt in ("html", "pdf")
    if not guided and (guide_file or scores_file):
        raise click.UsageError("--guide and --scores go with --format html or pdf (the report's guide section)")
    cat = _load_or_exit(dirs, None)
    body, origin = _report_body(scenario_file, guide_file, scores_file)
    try:
        if guided:
            from tco.web.api.guide.resources import guide_inputs
            from tco.web.api.guide.schemas import GuideRequestSchema
            loaded = GuideRequestSchema().load(body)
            scenario = loaded["scenario"]
            answers = guide_inputs(loaded, cat)      # the user's scores read as POST /report reads them
        else:
            scenario = ScenarioSchema().load(body)
        cur = currency(cat, code or scenario.currency, "--currency" if code else "currency")
        result = evaluate(scenario, cat, hybrid=fmt in ("html", "pdf", "xlsx"))
        if guided:
            from tco.report import html_report, pdf_report, report_guide
            guide = report_guide(result, cat, **answers)
    except ma.ValidationError as exc:            # a field out of range, an unknown currency code
        raise click.UsageError("; ".join(f"{_where(e['path'], origin, scenario_file)}: {e['path']}: {e['message']}"
                                         for e in flatten_messages(exc.messages))) from None
    except ApiError as exc:                      # a bad cell of the user's scores (guide_inputs)
        raise click.UsageError(f"{_where(exc.errors[0]['path'], origin, scenario_file)}: {exc.message}") from None
    except ScenarioError as exc:                 # an unknown model, a guide answer the catalog cannot meet
        raise click.UsageError(f"{_where(exc.field, origin, scenario_file)}: {exc}") from None
    except ValueError as exc:                    # no rate for --currency
        raise click.UsageError(f"{scenario_file}: {exc}") from None
    if guided:
        body = (pdf_report(result, cur, title, guide) if fmt == "pdf"
                else html_report(result, cur, title, guide).encode())
    elif fmt == "xlsx":
        from tco.workbook import workbook
        body = workbook(result, cur, title)
    else:
        from tco.workbook import monthly_long, monthly_wide
        body = csv_text(monthly_wide(result, cur) if fmt == "csv-wide" else monthly_long(result, cur)).encode()
    if output == "-":
        sys.stdout.buffer.write(body)
        return
    path = Path(output or f"tco_report{REPORT_FORMATS[fmt]}")
    path.write_bytes(body)
    click.echo(f"wrote {path} ({len(body):,} bytes, {cur.code})", err=True)


@main.group()
def usage() -> None:
    """Price API usage logs."""


def _usage_errors(exc) -> None:
    for line in exc.errors:
        click.echo(line, err=True)
    click.echo(f"{len(exc.errors)} error(s)", err=True)
    sys.exit(1)


@usage.command("price")
@click.argument("source", type=click.Path(exists=True))
@click.option("--by", "by", multiple=True, default=("month",), show_default=True,
              help="Totals per month, model or a --group column (repeatable: --by month --by team).")
@click.option("--group", "groups", multiple=True,
              help="A column of the log to keep totals for (team, api_key, ...; repeatable).")
@click.option("--reader", default="auto", show_default=True,
              help="Layout of the log: auto, tco, litellm, openai, anthropic, openrouter.")
@click.option("--map", "mapping", multiple=True, metavar="COLUMN=SOURCE",
              help="Column mapping for any other layout, e.g. --map input_tokens=prompt --map model=engine "
                   "(SOURCE may add columns up: a+b).")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Also write every priced row to this Parquet file.")
@click.option("--focus", "focus_path", type=click.Path(dir_okay=False),
              help="Also write the priced totals as FOCUS 1.2 rows (.csv or .parquet).")
@click.option("--engine", type=click.Choice(["inprocess", "dask"]), default="inprocess", show_default=True,
              help="Price in this process (threads) or on Dask over the partitions of a Parquet dataset "
                   "(TCO_DASK_SCHEDULER, else a local cluster).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
@click.option("--dir", "dirs", multiple=True, type=click.Path(), help="Pricing overlay folder (repeatable).")
@click.option("--months", default=6, show_default=True, type=click.IntRange(1, 120),
              help="Months the projection workload is built from.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar on stderr [default: when stderr is a terminal].")
def usage_price(source, by, groups, reader, mapping, output, focus_path, engine, fmt, dirs, months,
                progress) -> None:
    """Price a usage log (CSV, JSON Lines or Parquet; a file or a folder) with the prices in force on
    each row's date, in chunks (constant memory); print totals per month, model or group, the rows
    that could not be priced, and the workload to start a projection from.

    Columns: timestamp, model, input_tokens, output_tokens[, cached_input_tokens, cache_write_tokens,
    cache_write_1h_tokens, reasoning_tokens, batch, requests], or a known export (--reader)."""
    import json as _json

    from tco.usage import UsageError, usage_workload
    from tco.usage_readers import ReaderError, choose_reader

    try:
        cat = load_catalog(extra_dirs=dirs)
        settings = Settings.from_env()
    except CatalogError as exc:
        _print_errors(exc)
        sys.exit(1)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None
    groups = tuple(dict.fromkeys([*groups, *(b for b in by if b not in ("month", "model"))]))
    if engine == "dask" and output:
        raise click.UsageError("--output: per-row output is written by the in-process engine only; "
                               "drop --output or use --engine inprocess")
    try:
        fmt_reader = choose_reader(source, reader, mapping)
    except ReaderError as exc:
        raise click.UsageError(str(exc)) from None
    except UsageError as exc:
        _usage_errors(exc)
    try:
        if engine == "dask":
            from tco.usage_dask import price_usage_dask
            result = price_usage_dask(source, cat, by=groups, reader=fmt_reader,
                                      scheduler=settings.dask_scheduler or None)
        else:
            result = _price_with_progress(source, cat, groups, fmt_reader, output, progress)
    except UsageError as exc:
        _usage_errors(exc)
    table = result.totals(*by)
    if focus_path:
        from tco.focus import usage_focus, write_focus
        write_focus(usage_focus(result, cat), focus_path)
    if fmt == "csv":
        click.echo(csv_text(table), nl=False)
    else:
        with pd.option_context("display.max_rows", None, "display.width", 200, "display.float_format",
                               "{:,.2f}".format):
            click.echo(table.to_string(index=False))
        click.echo(result.summary())
        try:
            click.echo("workload: " + _json.dumps(usage_workload(result, months)))
        except ValueError:
            pass
    if len(result.unpriced):
        sys.exit(3)   # priced what it could; some rows were not (listed above)


@main.group()
def focus() -> None:
    """FOCUS (FinOps Open Cost and Usage Specification) files."""


@focus.command("baseline")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--reader", type=click.Choice(["focus", "openai-costs", "anthropic-costs"]), default="focus",
              show_default=True, help="Layout: a FOCUS export, OpenAI's Costs API or Anthropic's cost report "
                                      "(JSON pages or flattened rows).")
@click.option("--provider", "providers", multiple=True, help="Keep rows of this ProviderName (repeatable; FOCUS).")
@click.option("--all-services", is_flag=True,
              help="Keep every ServiceCategory, not only AI and Machine Learning (FOCUS).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--json", "as_json", is_flag=True,
              help="Print {\"baseline_usd_per_month\": [...]}, the closed option's field (= --format json).")
def focus_baseline(file, reader, providers, all_services, fmt, as_json) -> None:
    """Monthly spend [USD] of a FOCUS or cost export: the current-spend baseline of the closed option
    (months without rows count 0)."""
    import json as _json

    from tco.focus import FocusError, baseline_field, read_baseline
    from tco.usage_readers import ReaderError

    if reader != "focus" and (providers or all_services):
        raise click.UsageError("--provider and --all-services filter FOCUS files only")
    options = {"service_category": None if all_services else "AI and Machine Learning",
               "providers": providers or None} if reader == "focus" else {}
    try:
        base = read_baseline(file, reader, **options)
        if as_json or fmt == "json":
            click.echo(_json.dumps(baseline_field(base)))
            click.echo(f"months {base.index[0]} to {base.index[-1]}", err=True)
            return
    except (FocusError, ReaderError) as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    if fmt == "csv":
        click.echo(csv_text(base.rename_axis(base.index.name or "month").reset_index()), nl=False)
    else:
        click.echo(base.to_frame().to_string(float_format="{:,.2f}".format))
        click.echo(f"total ${base.sum():,.2f} over {len(base)} month(s)")


def _price_with_progress(source, cat, groups, reader, output, progress):
    """The in-process streamed run, with a progress bar over the bytes read when wanted."""
    from tco.usage_stream import price_usage_files, source_bytes

    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return price_usage_files(source, cat, by=groups, reader=reader, output=output)
    with click.progressbar(length=source_bytes(source), label="pricing", file=sys.stderr,
                           show_pos=False, show_percent=True, show_eta=True) as bar:
        seen = [0]

        def advance(done: int) -> None:
            bar.update(max(done - seen[0], 0))
            seen[0] = max(done, seen[0])

        result = price_usage_files(source, cat, by=groups, reader=reader, output=output, progress=advance)
        bar.update(max(bar.length - seen[0], 0))
    return result


if __name__ == "__main__":  # pragma: no cover
    main()
