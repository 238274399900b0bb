"""The ``tco`` command line: serve the app, list, validate and import pricing tables."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import pandas as pd

from tco.catalog import DEFAULT_PRICING_DIR, CatalogError, load_catalog, write_table
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


@catalog.command("list")
@click.argument("table", required=False)
@click.option("--dir", "dirs", multiple=True, type=click.Path(), help="Overlay folder (repeatable).")
@click.option("--as-of", default=None, help="Prices in force on this date (YYYY-MM-DD) [default: today].")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
def catalog_list(table, dirs, as_of, fmt) -> None:
    """List the tables with their row counts, or the rows of TABLE."""
    try:
        cat = load_catalog(extra_dirs=dirs, as_of=as_of)
    except CatalogError as exc:
        _print_errors(exc)
        sys.exit(1)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if table is None:
        for name, n in cat.row_counts().items():
            click.echo(f"{name:24s} {n:6d}  {TABLES[name].description}")
        return
    if table not in TABLE_NAMES:
        raise click.UsageError(f"unknown table {table!r}; valid tables: {', '.join(TABLE_NAMES)}")
    df = cat[table]
    if fmt == "csv":
        out = df.copy()
        out["effective_date"] = out["effective_date"].dt.strftime("%Y-%m-%d")
        click.echo(out.to_csv(index=False, na_rep=""), nl=False)
    else:
        cols = [c for c in df.columns if c not in ("source_url", "notes")]
        with pd.option_context("display.max_rows", None, "display.width", 200, "display.max_columns", None):
            click.echo(df[cols].to_string(index=False))


@catalog.command("validate")
@click.argument("dirs", nargs=-1, type=click.Path())
def catalog_validate(dirs) -> None:
    """Validate folders of tables (default: the shipped pricing/).

    Each folder is overlaid on the shipped tables, so a partial folder is checked
    against them (e.g. a GPU rate for a GPU defined only in pricing/gpus.csv).
    Prints one ``file:line: column: message`` line per bad row and exits 1.
    """
    try:
        cat = load_catalog(extra_dirs=dirs or (DEFAULT_PRICING_DIR,), use_env=False)
    except CatalogError as exc:
        _print_errors(exc)
        sys.exit(1)
    total = sum(len(df) for df in cat.history.values())
    click.echo(f"ok: {total} rows in {len(TABLE_NAMES)} tables valid ({', '.join(str(d) for d in dirs) or DEFAULT_PRICING_DIR})")


@catalog.command("import-litellm")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write api_prices.csv and image_prices.csv into (created if needed).")
@click.option("--effective-date", default=None, help="effective_date of the imported rows [default: today].")
def catalog_import_litellm(file, out_dir, effective_date) -> None:
    """Import a LiteLLM-format JSON price file into a folder of tables (an overlay)."""
    from tco.litellm import import_litellm

    result = import_litellm(file, effective_date=effective_date)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_table(result.api_prices, out / "api_prices.csv", "api_prices")
    write_table(result.image_prices, out / "image_prices.csv", "image_prices")
    click.echo(result.summary())
    click.echo(f"wrote {out / 'api_prices.csv'} and {out / 'image_prices.csv'}")


@main.group()
def usage() -> None:
    """Price API usage logs."""


@usage.command("price")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--by", "by", type=click.Choice(["month", "model"]), default="month", show_default=True,
              help="Aggregate per calendar month or per model.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
@click.option("--dir", "dirs", multiple=True, type=click.Path(), help="Pricing overlay folder (repeatable).")
@click.option("--months", default=6, show_default=True, type=click.IntRange(1, 120),
              help="Months the projection workload is built from.")
def usage_price(file, by, fmt, dirs, months) -> None:
    """Price a usage log CSV (timestamp, model, input_tokens, output_tokens[, cached_input_tokens, batch,
    requests]) with the prices in force on each row's date; print totals per month or model, the
    rows that could not be priced, and the workload to start a projection from."""
    import json as _json

    from tco.usage import UsageError, price_usage, read_usage_csv, usage_workload

    try:
        cat = load_catalog(extra_dirs=dirs)
    except CatalogError as exc:
        _print_errors(exc)
        sys.exit(1)
    try:
        log = read_usage_csv(file)
    except UsageError as exc:
        for line in exc.errors:
            click.echo(line, err=True)
        click.echo(f"{len(exc.errors)} error(s)", err=True)
        sys.exit(1)
    result = price_usage(log, cat)
    table = result.by_month() if by == "month" else result.by_model()
    if fmt == "csv":
        click.echo(table.to_csv(index=False), nl=False)
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


if __name__ == "__main__":  # pragma: no cover
    main()
