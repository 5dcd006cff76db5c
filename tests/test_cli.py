"""``flask create-user``: password from the environment, clear errors."""

from __future__ import annotations

from sqlalchemy import select

from steuerung.models import Role, User


def test_create_user_from_environment_password(app, db, users, monkeypatch):
    monkeypatch.setenv("STEUERUNG_PASSWORD", "sehr-geheimes-pw")
    runner = app.test_cli_runner()
    args = [
        "create-user",
        "k.muster",
        "--name",
        "Karla Muster",
        "--role",
        "coordinator",
        "--department",
        "FB 1",
    ]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "Benutzer k.muster angelegt." in result.output
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.username == "k.muster"))
    assert user.role == Role.COORDINATOR
    assert user.check_password("sehr-geheimes-pw")

    again = runner.invoke(args=args)
    assert again.exit_code != 0
    assert "bereits vergeben" in again.output


def test_create_user_refuses_unknown_department_and_short_password(app, db, users, monkeypatch):
    runner = app.test_cli_runner()
    monkeypatch.setenv("STEUERUNG_PASSWORD", "sehr-geheimes-pw")
    result = runner.invoke(
        args=["create-user", "x", "--name", "X", "--role", "admin", "--department", "GIBTS NICHT"]
    )
    assert result.exit_code != 0 and "gibt es nicht" in result.output
    monkeypatch.setenv("STEUERUNG_PASSWORD", "kurz")
    result = runner.invoke(
        args=["create-user", "x", "--name", "X", "--role", "admin", "--department", "FB 1"]
    )
    assert result.exit_code != 0 and "mindestens 12 Zeichen" in result.output
