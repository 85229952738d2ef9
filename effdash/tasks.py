"""Tasks: Hugging Face pipeline tags, their display names and accepted aliases."""

from __future__ import annotations

from effdash.errors import UnknownTask

#: Pipeline tag -> display name. The tags are those of the Hugging Face Hub.
TASKS: dict[str, str] = {
    "text-classification": "Text classification",
    "token-classification": "Token classification",
    "question-answering": "Extractive question answering",
    "fill-mask": "Fill-mask",
    "feature-extraction": "Feature extraction",
    "sentence-similarity": "Sentence similarity",
    "summarization": "Summarization",
    "text-generation": "Text generation",
    "text2text-generation": "Text-to-text generation",
    "image-classification": "Image classification",
    "object-detection": "Object detection",
    "image-to-text": "Image captioning",
    "text-to-image": "Image generation",
    "automatic-speech-recognition": "Speech recognition",
}

#: Names used by the AI Energy Score leaderboard and by the Power Hungry Processing
#: logs, mapped to pipeline tags (AI Energy Score ``index.md``; ../shared/FORMATS.md).
ALIASES: dict[str, str] = {
    "text_generation": "text-generation",
    "summarization": "summarization",
    "question_answering": "question-answering",
    "extractive_qa": "question-answering",
    "text_classification": "text-classification",
    "sentence_similarity": "sentence-similarity",
    "image_classification": "image-classification",
    "object_detection": "object-detection",
    "asr": "automatic-speech-recognition",
    "image_generation": "text-to-image",
    "image_captioning": "image-to-text",
    "token_classification": "token-classification",
    "fill_mask": "fill-mask",
    "masked language modeling": "fill-mask",
    "text classification": "text-classification",
    "extractive qa": "question-answering",
    "token classification": "token-classification",
    "image classification": "image-classification",
    "object detection": "object-detection",
    "text generation": "text-generation",
    "image captioning": "image-to-text",
    "image generation": "text-to-image",
}


def normalise_task(name: str) -> str:
    """Return the pipeline tag for ``name`` (a tag or an alias); raise UnknownTask otherwise."""
    key = name.strip().lower()
    if key in TASKS:
        return key
    if key in ALIASES:
        return ALIASES[key]
    if key.replace("_", "-") in TASKS:
        return key.replace("_", "-")
    known = ", ".join(sorted(TASKS))
    raise UnknownTask(f"Unknown task {name!r}. Use a Hugging Face pipeline tag: {known}.")


def task_label(tag: str) -> str:
    """Human name of a pipeline tag, falling back to the tag itself."""
    return TASKS.get(tag, tag)
