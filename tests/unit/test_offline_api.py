"""The offline Bot API, driven by a real python-telegram-bot Application."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    MenuButtonCommands,
    MenuButtonWebApp,
    Update,
    WebAppInfo,
)
from telegram.error import (
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from handlers.telegram.offline import (
    OfflineAPIWarning,
    OfflineBotAPI,
    SimUser,
    load_schema,
    sample_png,
)

TOKEN = "1234567:TEST"
ALICE = 42

AnyApplication = Application[Any, Any, Any, Any, Any, Any]

# Raw calls through Bot.do_api_request are the point of several tests.
pytestmark = pytest.mark.filterwarnings("ignore:Please use 'Bot.:telegram.warnings.PTBUserWarning")


# -- a tiny bot ------------------------------------------------------------------------------


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(update.effective_message.text or "")


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"start args={context.args}")


async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Oui", callback_data="choice:yes"),
                InlineKeyboardButton("Non", callback_data="choice:no"),
            ],
            [InlineKeyboardButton("Site", url="https://example.org")],
        ]
    )
    await update.effective_message.reply_text(
        "<b>Votre choix ?</b>", parse_mode="HTML", reply_markup=keyboard
    )


async def on_choice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    context.bot_data.setdefault("callbacks", []).append(query.data)
    await query.answer("Noté")
    await query.edit_message_text(f"Choix : {query.data}")


async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None
    attachment = message.photo[-1] if message.photo else message.document
    assert attachment is not None
    file = await attachment.get_file()
    context.bot_data["downloaded"] = bytes(await file.download_as_bytearray())
    await message.reply_text("reçu")


@pytest.fixture
def api() -> OfflineBotAPI:
    return OfflineBotAPI()


@pytest.fixture
def alice(api: OfflineBotAPI) -> SimUser:
    return api.user(ALICE, "Alice", username="alice")


@pytest.fixture
async def app(api: OfflineBotAPI) -> AsyncIterator[AnyApplication]:
    application = ApplicationBuilder().token(TOKEN).request(api).get_updates_request(api).build()
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("menu", menu))
    application.add_handler(MessageHandler(filters.PHOTO | filters.Document.ALL, on_photo))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.add_handler(CallbackQueryHandler(on_choice))
    api.attach(application)
    async with application:
        yield application


async def send(app: AnyApplication, text: str, **kwargs: Any) -> Any:
    return await app.bot.send_message(ALICE, text, **kwargs)


# -- round trips -------------------------------------------------------------------------------


async def test_text_round_trip(api: OfflineBotAPI, app: AnyApplication, alice: SimUser) -> None:
    update = await api.send_text(alice, "bonjour")

    assert update.message is not None and update.message.message_id == 1
    reply = api.last(ALICE)
    assert (reply.message_id, reply.text) == (2, "bonjour")
    assert reply.data["from"] == {
        "id": 1234567,
        "is_bot": True,
        "first_name": "PNE bot",
        "username": "pne_demo_bot",
    }
    assert reply.data["chat"] == {
        "id": ALICE,
        "type": "private",
        "first_name": "Alice",
        "username": "alice",
    }
    assert isinstance(reply.data["date"], int)
    [record] = api.sent_to(ALICE)
    assert record.method == "sendMessage"
    assert record.params == {"chat_id": ALICE, "text": "bonjour"}
    assert record.result["message_id"] == 2
    assert api.refused == []


async def test_get_me_answers_the_configured_bot(app: AnyApplication) -> None:
    assert app.bot.id == 1234567
    assert app.bot.username == "pne_demo_bot"


async def test_dates_follow_the_injected_clock(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser
) -> None:
    api.now = lambda: 1_700_000_000.75
    update = await api.send_text(alice, "hello")
    assert update.message is not None
    assert update.message.date == dtm.datetime.fromtimestamp(1_700_000_000, tz=dtm.UTC)
    assert api.last(ALICE).data["date"] == 1_700_000_000


async def test_command_gets_a_bot_command_entity(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser
) -> None:
    update = await api.send_text(alice, "/start abc")

    assert update.message is not None
    [entity] = update.message.entities
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 6)
    assert api.last(ALICE).text == "start args=['abc']"


async def test_reply_to_a_bot_message(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser
) -> None:
    await api.send_text(alice, "premier")
    bot_message = api.last(ALICE)
    update = await api.send_text(alice, "réponse", reply_to_message_id=bot_message.message_id)
    assert update.message is not None and update.message.reply_to_message is not None
    assert update.message.reply_to_message.text == "premier"
    with pytest.raises(AssertionError, match="not found"):
        await api.send_text(alice, "x", reply_to_message_id=999)


# -- inline keyboards and callback queries -------------------------------------------------


async def test_tap_edits_the_message_and_removes_the_keyboard(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser
) -> None:
    await api.send_text(alice, "/menu")
    question = api.last(ALICE)
    assert question.text == "Votre choix ?"
    assert question.raw_text == "<b>Votre choix ?</b>"
    assert question.entities == [{"offset": 0, "length": 13, "type": "bold"}]
    assert question.buttons == [
        [("Oui", "choice:yes"), ("Non", "choice:no")],
        [("Site", "https://example.org")],
    ]

    update = await api.tap(alice, question, "Oui")

    assert update.callback_query is not None
    assert update.callback_query.data == "choice:yes"
    assert update.callback_query.message is not None
    assert update.callback_query.message.message_id == question.message_id
    assert api.callback_answer(update) == {"text": "Noté"}
    [edited] = api.messages(ALICE)
    assert edited.message_id == question.message_id
    assert edited.text == "Choix : choice:yes"
    assert edited.buttons == []  # an edit without reply_markup removes the keyboard
    assert "edit_date" in edited.data
    assert [record.method for record in api.sent_to(ALICE)] == [
        "sendMessage",
        "answerCallbackQuery",
        "editMessageText",
    ]


async def test_tap_by_index_and_missing_buttons(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser
) -> None:
    await api.send_text(alice, "/menu")
    question = api.last(ALICE)

    with pytest.raises(AssertionError, match=r"no button 'Peut-être'.*\[\['Oui', 'Non'\]"):
        await api.tap(alice, question.message_id, "Peut-être")
    with pytest.raises(AssertionError, match="sends no callback query"):
        await api.tap(alice, question.message_id, "Site")

    await api.tap(alice, question.message_id, 1)
    assert app.bot_data["callbacks"] == ["choice:no"]
    with pytest.raises(AssertionError, match=r"current buttons: \[\]"):
        await api.tap(alice, question.message_id, "Oui")


async def test_forged_callback_is_delivered(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser
) -> None:
    await api.send_text(alice, "/menu")
    question = api.last(ALICE)

    update = await api.forge_callback(alice, question.message_id, "admin:delete-everything")

    assert update.callback_query is not None
    assert update.callback_query.data == "admin:delete-everything"
    assert app.bot_data["callbacks"] == ["admin:delete-everything"]


async def test_callback_query_can_be_answered_once(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser
) -> None:
    await api.send_text(alice, "/menu")
    update = await api.tap(alice, api.last(ALICE), "Non")
    assert update.callback_query is not None

    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await app.bot.answer_callback_query(update.callback_query.id)
    with pytest.raises(BadRequest, match=r"(?i)query ID is invalid"):
        await app.bot.answer_callback_query("123")


# -- refusals: schema ----------------------------------------------------------------------------


async def test_unknown_method_is_refused(api: OfflineBotAPI, app: AnyApplication) -> None:
    with pytest.raises(EndPointNotFound):
        await app.bot.do_api_request("fooBar")
    with pytest.raises(InvalidToken, match=r"(?i)Not Found"):
        await app.bot._post("fooBar")
    assert [(r.method, r.status, r.description) for r in api.refused] == [
        ("fooBar", 404, "Not Found"),
        ("fooBar", 404, "Not Found"),
    ]


async def test_method_in_schema_but_not_emulated_fails_loudly(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser
) -> None:
    with pytest.raises(NetworkError, match=r"(?i)method sendPoll is not emulated"):
        await app.bot.send_poll(ALICE, "Q?", ["a", "b"])
    assert api.refused[-1].status == 500


async def test_missing_required_argument(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await app.bot.do_api_request("sendMessage", api_kwargs={"chat_id": ALICE})
    with pytest.raises(BadRequest, match=r"(?i)chat_id is empty"):
        await app.bot.do_api_request("sendMessage", api_kwargs={"text": "x"})
    with pytest.raises(BadRequest, match=r'(?i)parameter "commands" is required'):
        await app.bot.do_api_request("setMyCommands")
    assert api.sent_to(ALICE) == []


async def test_missing_field_of_a_nested_object(app: AnyApplication, alice: SimUser) -> None:
    markup = {"inline_keyboard": [[{"callback_data": "x"}]]}
    with pytest.raises(BadRequest, match=r'(?i)Can\'t find field "text"'):
        await app.bot.do_api_request(
            "sendMessage", api_kwargs={"chat_id": ALICE, "text": "x", "reply_markup": markup}
        )


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"disable_notification": "maybe"}, 'Field "disable_notification" must be of type Boolean'),
        ({"message_thread_id": "abc"}, 'Field "message_thread_id" must be of type Integer'),
        ({"reply_markup": {"inline_keyboard": "nope"}}, "must be of type Array"),
        (
            {"reply_markup": {"inline_keyboard": [[{"text": ["x"], "callback_data": "x"}]]}},
            'Field "reply_markup.inline_keyboard[0][0].text" must be of type String',
        ),
        ({"reply_markup": {"inline_keyboard": [[{"text": "x"}]]}}, "text buttons are unallowed"),
        ({"reply_parameters": {"message_id": "one"}}, "must be of type Integer"),
        ({"reply_markup": {"remove_keyboard": False}}, "must be true"),
        ({"reply_markup": [1, 2]}, 'Field "reply_markup" must be of type InlineKeyboardMarkup'),
        ({"entities": "{broken"}, "can't parse entities JSON object"),
    ],
)
async def test_wrong_type_is_refused(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser, kwargs: dict[str, Any], reason: str
) -> None:
    with pytest.raises(BadRequest) as excinfo:
        await app.bot.do_api_request(
            "sendMessage", api_kwargs={"chat_id": ALICE, "text": "x", **kwargs}
        )
    assert reason.lower() in excinfo.value.message.lower()
    assert api.refused[-1].description.startswith("Bad Request: ")


async def test_numbers_are_sent_as_strings_like_http_does(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser
) -> None:
    # Telegram receives form fields: a numeric text and a numeric-string chat_id are fine.
    await app.bot.do_api_request("sendMessage", api_kwargs={"chat_id": str(ALICE), "text": 12})
    assert api.last(ALICE).text == "12"


async def test_text_length_limit(api: OfflineBotAPI, app: AnyApplication, alice: SimUser) -> None:
    await send(app, "a" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await send(app, "a" * 4097)
    await send(app, "😀" * 2048)  # 2 UTF-16 code units each
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await send(app, "😀" * 2049)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await send(app, "   ")
    assert [len(m.text or "") for m in api.messages(ALICE)] == [4096, 2048]


async def test_callback_data_byte_limit(app: AnyApplication, alice: SimUser) -> None:
    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data=data)]])

    await send(app, "ok", reply_markup=keyboard("é" * 32))  # 64 bytes
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await send(app, "ko", reply_markup=keyboard("é" * 33))  # 33 characters, 66 bytes
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await send(app, "ko", reply_markup=keyboard(""))


async def test_button_url_must_be_valid(app: AnyApplication, alice: SimUser) -> None:
    def keyboard(url: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("b", url=url)]])

    await send(app, "ok", reply_markup=keyboard("https://example.org/x?y=1"))
    await send(app, "ok", reply_markup=keyboard("tg://user?id=42"))
    for url in ("javascript:alert(1)", "https://localhost", "not a url"):
        with pytest.raises(BadRequest, match=r"(?i)Wrong HTTP URL"):
            await send(app, "ko", reply_markup=keyboard(url))


async def test_caption_limit(api: OfflineBotAPI, app: AnyApplication, alice: SimUser) -> None:
    await app.bot.send_photo(ALICE, sample_png(), caption="c" * 1024)
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await app.bot.send_photo(ALICE, sample_png(), caption="c" * 1025)
    await app.bot.send_photo(
        ALICE, sample_png(), caption="<i>" + "c" * 1024 + "</i>", parse_mode="HTML"
    )
    assert [len(m.caption or "") for m in api.messages(ALICE)] == [1024, 1024]


async def test_unknown_argument_warns_unless_strict(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser
) -> None:
    with pytest.warns(OfflineAPIWarning, match="unknown argument 'shiny_new_option'"):
        await app.bot.do_api_request(
            "sendMessage", api_kwargs={"chat_id": ALICE, "text": "x", "shiny_new_option": 1}
        )
    assert api.last(ALICE).text == "x"

    strict = OfflineBotAPI(strict_unknown_args=True)
    strict.user(ALICE, "Alice")
    async with Bot(TOKEN, request=strict, get_updates_request=strict) as bot:
        with pytest.raises(BadRequest, match=r"(?i)shiny_new_option"):
            await bot.do_api_request(
                "sendMessage", api_kwargs={"chat_id": ALICE, "text": "x", "shiny_new_option": 1}
            )


async def test_the_parse_mode_ptb_adds_to_keyboard_only_edits_is_accepted_silently(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser
) -> None:
    import warnings

    sent = await app.bot.send_message(
        ALICE,
        "x",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="a")]]),
    )
    with warnings.catch_warnings():
        # Telegram ignores it; so does the offline API (the generic call warns on its own).
        warnings.simplefilter("error", OfflineAPIWarning)
        warnings.filterwarnings("ignore", "Please use 'Bot.editMessageReplyMarkup'")
        await app.bot.do_api_request(
            "editMessageReplyMarkup",
            api_kwargs={"chat_id": ALICE, "message_id": sent.message_id, "parse_mode": "HTML"},
        )
    assert api.last(ALICE).buttons == []


async def test_enumerations_are_checked(app: AnyApplication, alice: SimUser) -> None:
    await app.bot.send_chat_action(ALICE, "typing")
    with pytest.raises(BadRequest, match=r"(?i)wrong parameter action in request"):
        await app.bot.send_chat_action(ALICE, "dancing")


async def test_schema_is_loaded_once_with_byte_limits() -> None:
    schema = load_schema()
    assert load_schema() is schema
    assert schema.version == "8.1.0"
    button = schema.objects["InlineKeyboardButton"].properties["callback_data"]
    assert (button["min_bytes"], button["max_bytes"]) == (1, 64)
    assert "description" not in button
    text = schema.method("SENDMESSAGE")
    assert text is not None and text.arguments["text"]["max_len"] == 4096


# -- refusals: HTML --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        ("<b>ok</b>", "ok"),
        ("a &amp; b", "a & b"),
        ("1 &lt; 2 &gt; 0", "1 < 2 > 0"),
        ('<a href="https://example.org">lien</a>', "lien"),
    ],
)
async def test_html_accepted(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser, text: str, visible: str
) -> None:
    message = await send(app, text, parse_mode="HTML")
    assert message.text == visible
    assert api.last(ALICE).text == visible
    assert api.last(ALICE).parse_mode == "HTML"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<script>x</script>", 'Unsupported start tag "script"'),
        ("R&D", "Unsupported HTML entity"),
        ("1 < 2", 'Unsupported start tag ""'),
        ("<i>x</b>", "Unmatched end tag"),
    ],
)
async def test_html_refused(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser, text: str, reason: str
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities") as excinfo:
        await send(app, text, parse_mode="HTML")
    assert reason.lower() in excinfo.value.message.lower()
    assert api.messages(ALICE) == []


async def test_html_parse_mode_is_case_insensitive_and_others_are_unchecked(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await send(app, "<b>x", parse_mode="html")
    await send(app, "<b>x", parse_mode="MarkdownV2")  # MarkdownV2 is accepted unchecked
    await send(app, "<b>x")  # no parse mode: plain text
    with pytest.raises(BadRequest, match=r"(?i)unsupported parse_mode"):
        await send(app, "x", parse_mode="HTM")


async def test_html_length_counts_visible_text(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser
) -> None:
    await send(app, "<b>" + "a" * 4000 + "</b><i>" + "&amp;" * 96 + "</i>", parse_mode="HTML")
    assert len(api.last(ALICE).text or "") == 4096
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await send(app, "<b>" + "a" * 4097 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await send(app, "<b></b>", parse_mode="HTML")


async def test_html_caption_of_an_album_is_checked(app: AnyApplication, alice: SimUser) -> None:
    media = [
        InputMediaPhoto(sample_png(), caption="<b>un", parse_mode="HTML"),
        InputMediaPhoto(sample_png()),
    ]
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await app.bot.send_media_group(ALICE, media)


# -- editing and deleting ------------------------------------------------------------------------


async def test_edit_that_changes_nothing_is_refused(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="b")]])
    message = await send(app, "texte", reply_markup=markup)

    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await message.edit_text("texte", reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await message.edit_reply_markup(markup)
    await message.edit_text("texte")  # removing the keyboard is a change
    assert api.last(ALICE).buttons == []
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await message.edit_text("texte")
    await message.edit_text("<b>texte</b>", parse_mode="HTML")  # formatting is a change
    await message.edit_reply_markup(markup)
    assert api.last(ALICE).buttons == [[("b", "b")]]
    assert api.last(ALICE).raw_text == "<b>texte</b>"


async def test_edit_of_a_missing_message_is_refused(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await app.bot.edit_message_text("x", chat_id=ALICE, message_id=999)
    update = await api.send_text(alice, "mine")
    assert update.message is not None
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await app.bot.edit_message_text("x", chat_id=ALICE, message_id=update.message.message_id)


async def test_edit_caption(api: OfflineBotAPI, app: AnyApplication, alice: SimUser) -> None:
    photo = await app.bot.send_photo(ALICE, sample_png(), caption="avant")
    await photo.edit_caption("<i>après</i>", parse_mode="HTML")
    assert api.last(ALICE).caption == "après"
    text = await send(app, "texte")
    with pytest.raises(BadRequest, match=r"(?i)there is no caption in the message to edit"):
        await text.edit_caption("x")
    with pytest.raises(BadRequest, match=r"(?i)there is no text in the message to edit"):
        await photo.edit_text("x")


async def test_delete_message(api: OfflineBotAPI, app: AnyApplication, alice: SimUser) -> None:
    clock = [1_700_000_000.0]
    api.now = lambda: clock[0]
    first = await send(app, "un")
    second = await send(app, "deux")
    assert await first.delete()
    assert [m.text for m in api.messages(ALICE)] == ["deux"]
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await first.delete()
    clock[0] += 49 * 3600
    with pytest.raises(BadRequest, match=r"(?i)message can't be deleted for everyone"):
        await second.delete()


# -- faults ------------------------------------------------------------------------------------


def _seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_retry_after(api: OfflineBotAPI, app: AnyApplication, alice: SimUser) -> None:
    api.fail_retry_after("sendMessage", retry_after=3)

    with pytest.raises(RetryAfter) as excinfo:
        await send(app, "x")
    assert _seconds(excinfo.value.retry_after) == 3
    await send(app, "x")  # the fault is served once

    [fault] = api.faults_served
    assert (fault.method, fault.kind, fault.status) == ("sendMessage", "retry_after", 429)
    assert [record.method for record in api.sent_to(ALICE)] == ["sendMessage"]


async def test_timeout(api: OfflineBotAPI, app: AnyApplication, alice: SimUser) -> None:
    api.fail_timeout("sendMessage", times=2)
    for _ in range(2):
        with pytest.raises(TimedOut):
            await send(app, "x")
    await send(app, "x")
    assert [fault.kind for fault in api.faults_served] == ["timeout", "timeout"]


async def test_server_error(api: OfflineBotAPI, app: AnyApplication, alice: SimUser) -> None:
    api.fail("sendMessage")
    with pytest.raises(NetworkError, match=r"(?i)Internal Server Error") as excinfo:
        await send(app, "x")
    assert not isinstance(excinfo.value, BadRequest)
    api.fail("sendMessage", status=403, description="Forbidden: bot was blocked by the user")
    with pytest.raises(Forbidden):
        await send(app, "x")
    assert api.sent_to(ALICE) == []
    with pytest.raises(ValueError, match="not a Bot API"):
        api.fail("sendMesage")


# -- chats ---------------------------------------------------------------------------------------


async def test_chat_not_found(api: OfflineBotAPI, app: AnyApplication) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await app.bot.send_message(999, "x")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await app.bot.send_message("@somebody", "x")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await app.bot.get_chat(999)
    api.group(-1001234567890, "Équipe PNE")
    message = await app.bot.send_message(-1001234567890, "bonjour l'équipe")
    assert message.chat.type == "supergroup"
    assert api.last(-1001234567890).text == "bonjour l'équipe"
    assert api.refused[0].chat_id == 999


async def test_blocked_user(api: OfflineBotAPI, app: AnyApplication, alice: SimUser) -> None:
    alice.blocked = True
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await send(app, "x")


async def test_get_chat(app: AnyApplication, alice: SimUser) -> None:
    chat = await app.bot.get_chat(ALICE)
    assert (chat.id, chat.type, chat.first_name, chat.username) == (
        ALICE,
        "private",
        "Alice",
        "alice",
    )


# -- files ----------------------------------------------------------------------------------------


async def test_user_photo_is_downloadable(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser
) -> None:
    content = sample_png(640, 480)
    update = await api.send_photo(alice, content, caption="la salle")

    assert update.message is not None
    assert update.message.caption == "la salle"
    assert (update.message.photo[-1].width, update.message.photo[-1].height) == (640, 480)
    assert app.bot_data["downloaded"] == content
    assert api.last(ALICE).text == "reçu"
    [get_file] = [record for record in api.sent if record.method == "getFile"]
    assert get_file.result["file_path"].startswith("photos/")


async def test_user_document_is_downloadable(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser
) -> None:
    await api.send_document(alice, b"%PDF-1.4 facture", "facture.pdf", "application/pdf")
    assert app.bot_data["downloaded"] == b"%PDF-1.4 facture"
    with pytest.raises(BadRequest, match=r"(?i)wrong file_id"):
        await app.bot.get_file("nope")


async def test_bot_sends_files(api: OfflineBotAPI, app: AnyApplication, alice: SimUser) -> None:
    photo = await app.bot.send_photo(ALICE, sample_png(), caption="<b>QR</b>", parse_mode="HTML")
    document = await app.bot.send_document(ALICE, b"a;b\n1;2\n", filename="export.csv")
    await app.bot.send_photo(ALICE, photo.photo[-1].file_id)

    photo_message, document_message, again_message = api.messages(ALICE)
    assert photo_message.caption == "QR" and photo_message.photo == photo.photo[-1].file_id
    assert document_message.document == document.document.file_id
    assert document.document.file_name == "export.csv"
    assert again_message.photo == photo_message.photo
    file = await app.bot.get_file(document.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"a;b\n1;2\n"

    with pytest.raises(BadRequest, match=r"(?i)IMAGE_PROCESS_FAILED"):
        await app.bot.send_photo(ALICE, b"not an image")
    with pytest.raises(BadRequest, match=r"(?i)file must be non-empty"):
        await app.bot.send_document(ALICE, b"", filename="empty.txt")
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await app.bot.send_photo(ALICE, "unknown-file-id")
    with pytest.raises(BadRequest, match=r"(?i)can't use file of type Document as Photo"):
        await app.bot.send_photo(ALICE, document.document.file_id)
    with pytest.raises(BadRequest, match=r"(?i)there is no photo in the request"):
        await app.bot.do_api_request("sendPhoto", api_kwargs={"chat_id": ALICE})


async def test_media_group(api: OfflineBotAPI, app: AnyApplication, alice: SimUser) -> None:
    messages = await app.bot.send_media_group(
        ALICE,
        [InputMediaPhoto(sample_png(), caption="un"), InputMediaPhoto(sample_png(32, 32))],
    )
    assert len(messages) == 2
    assert messages[0].media_group_id == messages[1].media_group_id is not None
    assert [m.caption for m in api.messages(ALICE)] == ["un", None]
    with pytest.raises(BadRequest, match=r"(?i)2-10 items"):
        await app.bot.send_media_group(ALICE, [InputMediaPhoto(sample_png())])


async def test_copy_and_forward(api: OfflineBotAPI, app: AnyApplication, alice: SimUser) -> None:
    api.group(-100, "staff")
    update = await api.send_text(alice, "signalement")
    assert update.message is not None
    copied = await app.bot.copy_message(-100, ALICE, update.message.message_id)
    forwarded = await app.bot.forward_message(-100, ALICE, update.message.message_id)

    copy_message, forward_message = api.messages(-100)
    assert copy_message.message_id == copied.message_id
    assert copy_message.text == forward_message.text == "signalement"
    assert forwarded.forward_origin is not None
    assert forward_message.data["forward_origin"]["sender_user"]["id"] == ALICE
    with pytest.raises(BadRequest, match=r"(?i)message to copy not found"):
        await app.bot.copy_message(-100, ALICE, 999)
    with pytest.raises(BadRequest, match=r"(?i)message to forward not found"):
        await app.bot.forward_message(-100, ALICE, 999)


# -- commands, menu button -------------------------------------------------------------------


async def test_commands_are_stored_per_scope_and_language(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser
) -> None:
    bot = app.bot
    await bot.set_my_commands([BotCommand("start", "Démarrer")], language_code="fr")
    await bot.set_my_commands([BotCommand("start", "Start")])
    await bot.set_my_commands(
        [BotCommand("start", "Démarrer"), BotCommand("admin", "Administration")],
        scope=BotCommandScopeChat(ALICE),
        language_code="fr",
    )

    assert [c.description for c in await bot.get_my_commands(language_code="fr")] == ["Démarrer"]
    assert [c.description for c in await bot.get_my_commands()] == ["Start"]
    assert [c.description for c in await bot.get_my_commands(language_code="de")] == []
    chat_scope = BotCommandScopeChat(ALICE)
    assert [c.command for c in await bot.get_my_commands(chat_scope, "fr")] == ["start", "admin"]
    assert api.commands({"type": "chat", "chat_id": ALICE}, "fr") == [
        ("start", "Démarrer"),
        ("admin", "Administration"),
    ]

    await bot.delete_my_commands(BotCommandScopeDefault(), language_code="fr")
    assert await bot.get_my_commands(language_code="fr") == ()
    assert api.commands() == [("start", "Start")]

    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.set_my_commands([BotCommand("x", "y")], scope=BotCommandScopeChat(999))
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Start-Now", "y")])
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_DESCRIPTION_INVALID"):
        await bot.set_my_commands([BotCommand("start", "d" * 257)])


async def test_menu_button(app: AnyApplication, alice: SimUser) -> None:
    assert isinstance(await app.bot.get_chat_menu_button(ALICE), MenuButtonCommands)
    web_app = MenuButtonWebApp("Ouvrir", WebAppInfo("https://example.org/app"))
    await app.bot.set_chat_menu_button(ALICE, web_app)
    assert await app.bot.get_chat_menu_button(ALICE) == web_app
    assert isinstance(await app.bot.get_chat_menu_button(), MenuButtonCommands)


# -- polling ---------------------------------------------------------------------------------


async def test_get_updates_returns_queued_updates_and_honours_offset() -> None:
    api = OfflineBotAPI()
    alice = api.user(ALICE, "Alice")
    async with Bot(TOKEN, request=api, get_updates_request=api) as bot:
        first = await api.send_text(alice, "un")
        second = await api.send_text(alice, "deux")
        assert (first.update_id, second.update_id) == (1, 2)

        updates = await bot.get_updates()
        assert [u.message.text for u in updates if u.message] == ["un", "deux"]
        updates = await bot.get_updates(offset=first.update_id + 1)
        assert [u.update_id for u in updates] == [second.update_id]
        assert await bot.get_updates() == (second,)  # the first one is confirmed
        assert await bot.get_updates(offset=second.update_id + 1) == ()
        assert api.pending_updates() == []


async def test_get_updates_long_polls() -> None:
    api = OfflineBotAPI()
    alice = api.user(ALICE, "Alice")
    async with Bot(TOKEN, request=api, get_updates_request=api) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=10))
        await asyncio.sleep(0.05)
        assert not poll.done()
        await api.send_text(alice, "réveil")
        updates = await asyncio.wait_for(poll, timeout=2)
        assert [u.message.text for u in updates if u.message] == ["réveil"]

        started = asyncio.get_running_loop().time()
        assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=1) == ()
        assert asyncio.get_running_loop().time() - started >= 0.9


async def test_polling_application_receives_updates() -> None:
    api = OfflineBotAPI()
    alice = api.user(ALICE, "Alice")
    application = ApplicationBuilder().token(TOKEN).request(api).get_updates_request(api).build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        await application.start()
        try:
            await api.send_text(alice, "par polling")
            for _ in range(100):
                if api.messages(ALICE):
                    break
                await asyncio.sleep(0.02)
        finally:
            await application.updater.stop()
            await application.stop()
    assert api.last(ALICE).text == "par polling"
    assert api.pending_updates() == []


# -- plumbing ------------------------------------------------------------------------------


async def test_same_instance_for_both_requests_and_idempotent_lifecycle() -> None:
    api = OfflineBotAPI()
    api.user(ALICE, "Alice")
    application = ApplicationBuilder().token(TOKEN).request(api).get_updates_request(api).build()
    for _ in range(2):
        async with application:
            await application.bot.send_message(ALICE, "x")
    await api.initialize()
    await api.initialize()
    await api.shutdown()
    await api.shutdown()
    assert len(api.messages(ALICE)) == 2


async def test_token_of_another_bot_is_unauthorized() -> None:
    api = OfflineBotAPI()
    bot = Bot("999:OTHER", request=api, get_updates_request=api)
    with pytest.warns(OfflineAPIWarning, match=r"(?i)does not belong"), pytest.raises(InvalidToken):
        await bot.initialize()


async def test_on_sent_callbacks(api: OfflineBotAPI, app: AnyApplication, alice: SimUser) -> None:
    seen: list[str] = []
    api.on_sent.append(lambda record: seen.append(record.method))
    await api.send_text(alice, "/menu")
    await api.tap(alice, api.last(ALICE), "Oui")
    assert seen == ["sendMessage", "answerCallbackQuery", "editMessageText"]


async def test_clear_forgets_the_transcript_only(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser
) -> None:
    await send(app, "x")
    with pytest.raises(BadRequest):
        await send(app, "")
    api.fail("sendMessage")
    with pytest.raises(NetworkError):
        await send(app, "y")
    assert api.sent and api.refused and api.faults_served
    with pytest.raises(AssertionError, match="message text is empty"):
        api.assert_no_refusals()
    api.clear()
    assert (api.sent, api.refused, api.faults_served) == ([], [], [])
    assert api.last(ALICE).text == "x"
    api.assert_no_refusals()


# -- webhooks --------------------------------------------------------------------------------


async def test_a_webhook_is_kept_as_telegram_keeps_it_and_blocks_get_updates(
    api: OfflineBotAPI, app: AnyApplication, alice: SimUser
) -> None:
    from telegram.error import Conflict

    assert await app.bot.set_webhook(
        "https://pne.example.org:8443/hook", secret_token="s3cret_-", max_connections=10
    )
    info = await app.bot.get_webhook_info()
    assert (info.url, info.max_connections, info.pending_update_count) == (
        "https://pne.example.org:8443/hook",
        10,
        0,
    )
    assert api.webhook is not None and api.webhook["secret_token"] == "s3cret_-"
    with pytest.raises(Conflict, match="while webhook is active"):
        await app.bot.get_updates()
    # Updates wait for the webhook (a test posts them); nothing leaves the process.
    api.detach()
    await api.send_text(alice, "bonjour")
    assert (await app.bot.get_webhook_info()).pending_update_count == 1
    [update] = api.take_updates()
    assert update["message"]["text"] == "bonjour"
    assert api.pending_updates() == []

    assert await app.bot.delete_webhook()
    assert (await app.bot.get_webhook_info()).url == ""
    assert await app.bot.get_updates() == ()


@pytest.mark.parametrize(
    ("url", "secret", "description"),
    [
        ("http://pne.example.org/hook", None, "An HTTPS URL must be provided for webhook"),
        ("https://pne.example.org:8080/hook", None, "only on ports 80, 88, 443 or 8443"),
        ("https://pne.example.org/hook", "1234567:TOKEN", "secret token contains unallowed"),
        ("https://pne.example.org/hook", "a" * 257, "at most 256 characters"),
    ],
)
async def test_a_webhook_is_refused_as_telegram_refuses_it(
    api: OfflineBotAPI, app: AnyApplication, url: str, secret: str | None, description: str
) -> None:
    with pytest.raises(BadRequest, match=f"(?i){description}"):
        await app.bot.set_webhook(url, secret_token=secret)
    assert api.webhook is None


async def test_an_empty_url_removes_the_webhook(api: OfflineBotAPI, app: AnyApplication) -> None:
    await app.bot.set_webhook("https://pne.example.org/hook")
    await app.bot.set_webhook("")
    assert api.webhook is None
