"""``flask`` commands: seed, create-user, demo-logins, notify, jobs, backup."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import click
from flask import Flask
from sqlalchemy import select

from steuerung.extensions import db
from steuerung.formatting import LOCAL_TZ
from steuerung.models import Department, Role
from steuerung.services.admin.accounts import create_user
from steuerung.services.common.audit import acting_as
from steuerung.services.common.errors import ValidationFailed


def register(app: Flask) -> None:
    """Attach the commands to ``app``."""

    @app.cli.group("seed")
    def seed_group() -> None:
        """Load demo or synthetic data."""

    @seed_group.command("demo")
    @click.option("--if-empty", is_flag=True, help="Nur laden, wenn noch keine Daten da sind.")
    def seed_demo(if_empty: bool) -> None:
        """Load the demo Kommune (idempotent)."""
        from seed.demo import load_demo

        with acting_as(None):
            created = load_demo(only_if_empty=if_empty)
        db.session.commit()
        click.echo("Demo-Kommune geladen." if created else "Demo-Kommune ist bereits vorhanden.")

    @seed_group.command("synthetic")
    @click.option("--measures", "count", type=click.IntRange(1, 200_000), default=10_000)
    @click.option("--random-seed", type=int, default=42)
    def seed_synthetic(count: int, random_seed: int) -> None:
        """Generate a large synthetic portfolio for benchmarks."""
        from seed.synthetic import generate

        with acting_as(None):
            generate(count, random_seed=random_seed)
        db.session.commit()
        click.echo(f"{count} synthetische Maßnahmen erzeugt.")

    @app.cli.command("demo-logins")
    def demo_logins() -> None:
        """Print the demo users and their password."""
        from seed.demo import DEMO_PASSWORD, DEMO_USERS

        click.echo(f"Demo-Anmeldungen (Passwort für alle: {DEMO_PASSWORD}):")
        for username, full_name, role, _dept in DEMO_USERS:
            click.echo(f"  {username:<18} {Role(role).label:<20} {full_name}")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--name", "full_name", required=True, help="Vor- und Nachname")
    @click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
    @click.option("--department", "department_code", required=True, help="Kürzel des Fachbereichs")
    @click.option("--email", default="")
    def create_user_command(
        username: str, full_name: str, role: str, department_code: str, email: str
    ) -> None:
        """Create a user; the password comes from STEUERUNG_PASSWORD or is asked without echo."""
        department = db.session.scalar(select(Department).where(Department.code == department_code))
        if department is None:
            raise click.ClickException(f"Fachbereich „{department_code}“ gibt es nicht.")
        password = os.environ.get("STEUERUNG_PASSWORD") or click.prompt(
            "Passwort", hide_input=True, confirmation_prompt=True
        )
        try:
            create_user(username, full_name, Role(role), department, password, email)
        except ValidationFailed as error:
            raise click.ClickException(error.message) from error
        db.session.commit()
        click.echo(f"Benutzer {username} angelegt.")

    @app.cli.group("notify")
    def notify_group() -> None:
        """E-mail reminders and the weekly digest."""

    @notify_group.command("run")
    @click.option("--now", "now_text", default=None, help="Zeitpunkt (ISO 8601) statt jetzt.")
    def notify_run(now_text: str | None) -> None:
        """Send the reminders and digests that are due (for a cron job; safe to repeat)."""
        from steuerung.services.notifications import send_due_notifications

        result = send_due_notifications(_parse_now(now_text))
        click.echo(result.summary())
        for error in result.errors:
            click.echo(f"Fehler: {error}", err=True)
        if not result.ok:
            raise SystemExit(1)

    @notify_group.command("test")
    @click.argument("recipient")
    def notify_test(recipient: str) -> None:
        """Send a test mail to RECIPIENT with the configured SMTP settings."""
        from steuerung.services.notifications.run import send_test_mail
        from steuerung.services.notifications.smtp import (
            ConnectionLost,
            MailConfigError,
            MessageRefused,
        )

        try:
            send_test_mail(recipient, datetime.now(UTC))
        except MailConfigError as error:
            raise click.ClickException(error.message) from error
        except (ConnectionLost, MessageRefused) as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"Test-E-Mail an {recipient} gesendet.")

    @app.cli.group("jobs")
    def jobs_group() -> None:
        """Background jobs: worker and clean-up."""

    @jobs_group.command("worker")
    @click.option("--workers", type=click.IntRange(1, 32), default=None, help="Anzahl Threads")
    def jobs_worker(workers: int | None) -> None:
        """Run the job worker until Ctrl+C (SIGINT: finish running jobs) or SIGTERM."""
        from steuerung.services.jobs import run_worker

        try:
            run_worker(app, workers)
        except RuntimeError as error:
            raise click.ClickException(str(error)) from error

    @jobs_group.command("purge")
    def jobs_purge() -> None:
        """Delete expired job files and old job records now (the worker does it every 15 min)."""
        from steuerung.services.jobs import purge_jobs

        counts = purge_jobs()
        click.echo(
            f"{counts['files']} Dateien gelöscht, {counts['records']} alte Aufträge entfernt, "
            f"{counts['lost']} verlorene Aufträge als fehlgeschlagen markiert."
        )

    @app.cli.group("backup")
    def backup_group() -> None:
        """Backup and restore of the database and the instance files."""

    @backup_group.command("create")
    @click.option("--to", "target", type=click.Path(file_okay=False), default=None)
    def backup_create(target: str | None) -> None:
        """Write a backup archive; its path is the last line of the output."""
        from steuerung.services.ops.backup import BackupError, create_backup

        try:
            path = create_backup(app, target)
        except BackupError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"Sicherung geschrieben ({path.stat().st_size // 1024} KB):")
        click.echo(str(path))

    @backup_group.command("restore")
    @click.argument("path", type=click.Path(dir_okay=False))
    @click.option("--force", is_flag=True, help="Eine Datenbank mit Daten überschreiben.")
    def backup_restore(path: str, force: bool) -> None:
        """Restore a backup into the configured (empty) database and the instance folder."""
        from steuerung.services.ops.backup import BackupError, restore_backup

        try:
            result = restore_backup(app, path, force=force)
        except BackupError as error:
            raise click.ClickException(str(error)) from error
        click.echo(
            f"Sicherung zurückgespielt: {result.tables} Tabellen mit {result.rows} Zeilen "
            f"(Anzahl und Prüfsumme je Tabelle geprüft), {result.files} Dateien."
        )


def _parse_now(text: str | None) -> datetime:
    """``--now`` as an aware datetime; without time zone it is the Kommune's local time."""
    if not text:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError as error:
        raise click.BadParameter(
            f"„{text}“ ist kein Zeitpunkt im Format 2026-11-30T07:00.", param_hint="--now"
        ) from error
    return value if value.tzinfo else value.replace(tzinfo=LOCAL_TZ)
