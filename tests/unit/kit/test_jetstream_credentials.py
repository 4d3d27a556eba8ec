from __future__ import annotations

from cveval_kit.jetstream import connect_options
from cveval_kit.settings import Settings


def test_no_credentials_means_plain_options() -> None:
    assert connect_options("nats://127.0.0.1:4222", Settings()) == {}


def test_user_and_password_from_the_settings_with_their_own_inbox() -> None:
    options = connect_options("nats://nats:4222", Settings(nats_user="worker", nats_password="pw"))
    assert options == {"user": "worker", "password": "pw", "inbox_prefix": "_INBOX_worker"}


def test_credentials_in_the_url_win_and_name_the_inbox() -> None:
    options = connect_options("nats://job:secret@nats:4222", Settings(nats_user="worker", nats_password="pw"))
    assert options == {"inbox_prefix": "_INBOX_job"}


def test_a_creds_file_is_passed_on() -> None:
    options = connect_options("nats://nats:4222", Settings(nats_creds_file="/etc/nats/worker.creds"))
    assert options == {"user_credentials": "/etc/nats/worker.creds"}
