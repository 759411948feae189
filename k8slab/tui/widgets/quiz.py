"""A multiple-choice question answered in place, inside the checklist."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import RadioButton, RadioSet, Static

from k8slab.lessons.model import Question


class QuizQuestion(Vertical):
    """The prompt and its choices as a RadioSet; after an answer, whether it was right and why."""

    DEFAULT_CSS = """
    QuizQuestion { height: auto; padding: 0 0 0 2; }
    QuizQuestion > .quiz-prompt { height: auto; text-style: italic; }
    QuizQuestion > RadioSet { height: auto; width: 100%; border: none; padding: 0; }
    QuizQuestion > .quiz-feedback { height: auto; display: none; }
    QuizQuestion.-answered > .quiz-feedback { display: block; }
    """

    class Answered(Message):
        """The learner chose an answer."""

        def __init__(self, question_id: str, choice: int) -> None:
            super().__init__()
            self.question_id = question_id
            self.choice = choice

    def __init__(self, question: Question, answer: int | None = None, *,
                 name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.question = question
        self.answer = answer

    def compose(self) -> ComposeResult:
        yield Static(self.question.prompt, classes="quiz-prompt")
        with RadioSet(compact=True):
            for i, choice in enumerate(self.question.choices):
                yield RadioButton(choice, value=self.answer == i)
        yield Static(classes="quiz-feedback")

    def on_mount(self) -> None:
        if self.answer is not None:
            self._feedback(self.answer)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        choice = event.index
        if choice == self.answer:
            return
        self.answer = choice
        self._feedback(choice)
        self.post_message(self.Answered(self.question.id, choice))

    def _feedback(self, choice: int) -> None:
        right = choice == self.question.answer
        text = Text("✓ right. " if right else "✗ not quite. ",
                    style="bold green" if right else "bold red")
        if right and self.question.explanation:
            text.append(self.question.explanation)
        elif not right:
            text.append("Think again: the checklist hint says where to look.", "italic")
        self.add_class("-answered")
        self.query_one(".quiz-feedback", Static).update(text)
