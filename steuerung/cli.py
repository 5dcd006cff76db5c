"""``flask`` commands: seed, create-user, demo-logins."""

from __future__ import annotations

import os

import click
from flask import Flask
from sqlalchemy import select

from steuerung.extensions import db
from steuerung.models import Department, Role
from steuerung.services.accounts import create_user
from steuerung.services.audit import acting_as
from steuerung.services.errors import ValidationFailed


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
