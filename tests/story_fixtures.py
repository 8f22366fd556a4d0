"""Hand-written reports for story clustering, search and the query commands.

Each event is reported by outlets in their own words, the way wire-less Iraqi outlets do:
same facts and names, different sentences and transliterations. Times are fixed so tests
can reason about the story window.
"""

from __future__ import annotations

from monitor.models import Article, Hit

DAY = "2026-01-05"


def _hits(title: str, body: str, names: list[tuple[str, str, str]]) -> list[Hit]:
    """Hits for each (entity, kind, text) found in the title or body."""
    out = []
    for entity, kind, text in names:
        for field, value in (("title", title), ("body", body)):
            at = value.find(text)
            if at >= 0:
                out.append(Hit(entity, kind, text, at, at + len(text), f"**{text}**",
                               "exact", field))
    return out


def article(key: str, when: str | None = None) -> Article:
    source, url, title, body, names, stamp = REPORTS[key]
    stamp = when or stamp
    return Article(url=url, source=source, title=title, body=body, fetched=stamp,
                   published=stamp, language="ar" if key.startswith("ar_") else "en",
                   hits=_hits(title, body, names))


SADR = ("Muqtada al-Sadr", "actor")
MAYSAN = ("Maysan", "place")

REPORTS: dict[str, tuple[str, str, str, str, list[tuple[str, str, str]], str]] = {
    # --- one event: an activist shot dead in Amarah, Maysan ------------------------------
    "maysan_shafaq": (
        "Shafaq News (EN)", "https://shafaq.com/en/Security/maysan-activist-killed",
        "Gunmen assassinate activist Hussein al-Alaq in Maysan",
        "Shafaq News – Maysan. Unidentified gunmen shot dead the civil activist Hussein "
        "al-Alaq on Monday evening in central Amarah, the capital of Maysan governorate, a "
        "security source told Shafaq News. The attackers fired from a motorcycle near his "
        "home in the Hussein neighbourhood and fled. Al-Alaq, a member of the Sadrist "
        "movement, died of his wounds in al-Sadr teaching hospital. Police cordoned off the "
        "area and opened an investigation into the assassination.",
        [("Hussein al-Alaq", "actor", "Hussein al-Alaq"), (*MAYSAN, "Maysan"),
         ("Amarah", "place", "Amarah")], f"{DAY}T18:40:00+00:00"),
    "maysan_newregion": (
        "The New Region", "https://thenewregion.com/posts/2001",
        "Sadrist activist killed in Amarah drive-by shooting",
        "Hussein Al-Allaq, an activist close to the Sadrist Movement, was assassinated on "
        "Monday night in Amarah when two men on a motorcycle opened fire on him outside his "
        "house, police in Maysan province said. Al-Allaq was rushed to al-Sadr Teaching "
        "Hospital but died of his injuries. The gunmen escaped and investigators have "
        "sealed off the neighbourhood.",
        [("Hussein al-Alaq", "actor", "Hussein Al-Allaq"), (*MAYSAN, "Maysan"),
         ("Amarah", "place", "Amarah")], f"{DAY}T19:55:00+00:00"),
    "maysan_k24": (
        "Kurdistan24", "https://www.kurdistan24.net/en/story/3001",
        "Activist Hussein al-Alaq shot dead in Amarah",
        "An activist from the Sadrist movement, Hussein al-Alaq, was shot dead in Amarah, "
        "Maysan, late on Monday. Two gunmen riding a motorcycle fired at him near his home "
        "and fled, and he died in al-Sadr hospital, according to a police officer who asked "
        "not to be named. Maysan police opened an investigation into the killing.",
        [("Hussein al-Alaq", "actor", "Hussein al-Alaq"), (*MAYSAN, "Maysan"),
         ("Amarah", "place", "Amarah")], f"{DAY}T21:10:00+00:00"),
    # --- another event the same day, sharing the Sadrist actors and Maysan ------------------
    "sadr_speech": (
        "Shafaq News (EN)", "https://shafaq.com/en/Politics/sadr-speech",
        "Al-Sadr calls on followers to boycott the elections",
        "Shafaq News – Najaf. Sadrist Movement leader Muqtada al-Sadr on Monday urged his "
        "followers to boycott the coming parliamentary elections, in a televised speech from "
        "his office in Najaf. Al-Sadr criticised the ruling Coordination Framework for "
        "corruption and said the movement would not take part in a government of quotas. "
        "He also asked supporters in Maysan and Basra to keep calm and avoid street "
        "protests.",
        [(*SADR, "Muqtada al-Sadr"), (*MAYSAN, "Maysan"), ("Najaf", "place", "Najaf")],
        f"{DAY}T12:00:00+00:00"),
    # --- Arabic: one event, two outlets, hamza and diacritics differ -----------------------
    "ar_alsumaria": (
        "Alsumaria", "https://www.alsumaria.tv/news/security/1001",
        "اغتيال الناشط حسين العلاق وسط العمارة",
        "أفاد مصدر أمني في محافظة ميسان، مساء الإثنين، بأن مسلحين مجهولين أطلقوا النار على "
        "الناشط المدني حسين العلاق قرب منزله في مدينة العمارة ولاذوا بالفرار على دراجة نارية. "
        "وأضاف المصدر أن العلاق نُقل إلى مستشفى الصدر التعليمي لكنه فارق الحياة متأثراً "
        "بجراحه، وأن الشرطة طوقت المنطقة وفتحت تحقيقاً في عملية الاغتيال.",
        [("Hussein al-Alaq", "actor", "حسين العلاق"), (*MAYSAN, "ميسان"),
         ("Amarah", "place", "العمارة")], f"{DAY}T18:50:00+00:00"),
    "ar_shafaq": (
        "Shafaq News (AR)", "https://shafaq.com/ar/amn/2002",
        "مقتل ناشط بهجوم مسلح في العمارة",
        "شفق نيوز – ميسان. قُتل الناشط حسين العلّاق، مساء الاثنين، إثر إطلاق نار من قبل "
        "مسلحين يستقلون دراجة نارية أمام منزله في العمارة مركز محافظة ميسان، ونُقل الى "
        "مستشفى الصدر التعليمي حيث فارق الحياة. وقالت الشرطة إنها فتحت تحقيقا بالحادث "
        "وطوقت مكان الهجوم.",
        [("Hussein al-Alaq", "actor", "حسين العلّاق"), (*MAYSAN, "ميسان"),
         ("Amarah", "place", "العمارة")], f"{DAY}T19:30:00+00:00"),
    "ar_sadr_speech": (
        "Alsumaria", "https://www.alsumaria.tv/news/politics/1003",
        "الصدر يدعو أتباعه إلى مقاطعة الانتخابات",
        "دعا زعيم التيار الصدري مقتدى الصدر، يوم الإثنين، أتباعه إلى مقاطعة الانتخابات "
        "البرلمانية المقبلة، في كلمة متلفزة من مكتبه في النجف. وانتقد الصدر الإطار التنسيقي "
        "واتهمه بالفساد والمحاصصة، وطالب أنصاره في ميسان والبصرة بالتزام الهدوء وعدم "
        "الخروج بتظاهرات.",
        [(*SADR, "مقتدى الصدر"), (*MAYSAN, "ميسان"), ("Najaf", "place", "النجف")],
        f"{DAY}T13:00:00+00:00"),
}
