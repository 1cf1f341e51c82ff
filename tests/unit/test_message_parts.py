"""Messages with attachments: what text-only paths read, and what a text-only model is sent."""

from __future__ import annotations

from desktop_app.core.attachments import Cut, DocumentPart, ImagePart
from desktop_app.core.messages import ChatRequest, Message, Role, format_prompt

PNG = ImagePart("cat.png", "image/png", b"\x89PNG...", 4, 3)
NOTES = DocumentPart("notes.txt", "text/plain", "first line\nsecond line")


def test_documents_follow_the_text_under_their_names() -> None:
    message = Message(Role.USER, "Summarise this", (NOTES,))

    assert message.text_with_documents() == "Summarise this\n\n[file: notes.txt]\nfirst line\nsecond line"
    assert message.as_dict() == {"role": "user", "content": message.text_with_documents()}


def test_a_cut_document_says_where_it_was_cut() -> None:
    cut = DocumentPart("big.txt", "text/plain", "abc", cut=Cut(3, 12_000))

    assert cut.as_text() == "[file: big.txt]\nabc\n[cut at 3 of 12,000 characters]"


def test_format_prompt_includes_documents_with_their_names() -> None:
    one = format_prompt([Message(Role.USER, "Read", (NOTES,))])
    two = format_prompt([Message(Role.SYSTEM, "Be brief"), Message(Role.USER, "Read", (NOTES,))])

    assert one == "Read\n\n[file: notes.txt]\nfirst line\nsecond line"
    assert two == "System: Be brief\nUser: Read\n\n[file: notes.txt]\nfirst line\nsecond line\nAssistant:"


def test_a_text_only_request_names_each_image_instead_of_sending_it() -> None:
    request = ChatRequest(
        (Message(Role.USER, "What is this?", (PNG, NOTES)), Message(Role.ASSISTANT, "A cat"))
    )

    text_only = request.without_images()

    assert request.has_images()
    assert not text_only.has_images()
    first = text_only.messages[0]
    assert first.content == "What is this?\n\n[image: cat.png]"
    assert first.documents == (NOTES,)
    assert text_only.messages[1] is request.messages[1]


def test_a_request_without_images_is_returned_as_it_is() -> None:
    request = ChatRequest((Message(Role.USER, "hi"),))

    assert request.without_images() is request
