<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ru" sourcelanguage="en">
<context>
    <name>About</name>
    <message>
        <source>&lt;h3&gt;Parley {version}&lt;/h3&gt;&lt;p&gt;A desktop chat client for large language models.&lt;/p&gt;&lt;p&gt;Qt {qt} · PySide6 {pyside} · Python {python}&lt;/p&gt;&lt;p&gt;Data folder:&lt;br&gt;&lt;code&gt;{folder}&lt;/code&gt;&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Parley {version}&lt;/h3&gt;&lt;p&gt;Настольный клиент для общения с большими языковыми моделями.&lt;/p&gt;&lt;p&gt;Qt {qt} · PySide6 {pyside} · Python {python}&lt;/p&gt;&lt;p&gt;Папка данных:&lt;br&gt;&lt;code&gt;{folder}&lt;/code&gt;&lt;/p&gt;</translation>
    </message>
    <message>
        <source>About Parley</source>
        <translation>О программе Parley</translation>
    </message>
</context>
<context>
    <name>ActiveProvider</name>
    <message>
        <source>No provider is set up yet: choose one on the welcome page or in Preferences → Providers.</source>
        <translation>Провайдер ещё не настроен: выберите его на стартовой странице или в разделе «Настройки → Провайдеры».</translation>
    </message>
</context>
<context>
    <name>AnswerStatus</name>
    <message numerus="yes">
        <source>%n answer(s) were cut off when Parley last closed; they are marked interrupted.</source>
        <translation>
            <numerusform>%n ответ оборвался при прошлом закрытии Parley и помечен как прерванный.</numerusform>
            <numerusform>%n ответа оборвались при прошлом закрытии Parley и помечены как прерванные.</numerusform>
            <numerusform>%n ответов оборвались при прошлом закрытии Parley и помечены как прерванные.</numerusform>
        </translation>
    </message>
    <message>
        <source>No provider chosen</source>
        <translation>Провайдер не выбран</translation>
    </message>
    <message>
        <source>{seconds} s</source>
        <translation>{seconds} с</translation>
    </message>
    <message>
        <source>{rate} tok/s · {elapsed}</source>
        <translation>{rate} ток/с · {elapsed}</translation>
    </message>
    <message>
        <source>Waiting for the first reply…</source>
        <translation>Ожидание ответа…</translation>
    </message>
    <message>
        <source>Waiting for the first reply</source>
        <translation>Ожидание ответа</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <source>Parley could not start.</source>
        <translation>Не удалось запустить Parley.</translation>
    </message>
</context>
<context>
    <name>AttachmentChip</name>
    <message numerus="yes">
        <source>Add %n page(s) as images</source>
        <translation>
            <numerusform>Добавить %n стр. изображением</numerusform>
            <numerusform>Добавить %n стр. изображениями</numerusform>
            <numerusform>Добавить %n стр. изображениями</numerusform>
        </translation>
    </message>
    <message>
        <source>Pages {pages}, each as an image the model reads (not for text-only models)</source>
        <translation>Страницы {pages}, каждая — изображением, которое прочтёт модель (не для текстовых моделей)</translation>
    </message>
    <message>
        <source>Preparing…</source>
        <translation>Подготовка…</translation>
    </message>
    <message>
        <source>Cannot be attached</source>
        <translation>Нельзя приложить</translation>
    </message>
    <message numerus="yes">
        <source>~%Ln token(s)</source>
        <translation>
            <numerusform>~%Ln токен</numerusform>
            <numerusform>~%Ln токена</numerusform>
            <numerusform>~%Ln токенов</numerusform>
        </translation>
    </message>
    <message>
        <source>The page has no text — scanned?</source>
        <translation>На странице нет текста — скан?</translation>
    </message>
    <message numerus="yes">
        <source>%n of {total} page(s) have no text — scanned?</source>
        <translation>
            <numerusform>%n из {total} стр. без текста — скан?</numerusform>
            <numerusform>%n из {total} стр. без текста — скан?</numerusform>
            <numerusform>%n из {total} стр. без текста — скан?</numerusform>
        </translation>
    </message>
    <message>
        <source>Not added as images (at most {count}): pages {pages}</source>
        <translation>Не добавлены изображениями (не больше {count}): стр. {pages}</translation>
    </message>
    <message>
        <source>Attachment {name}: {details}</source>
        <translation>Вложение {name}: {details}</translation>
    </message>
    <message>
        <source>Enter opens it · Delete removes it</source>
        <translation>Enter — открыть · Delete — убрать</translation>
    </message>
    <message>
        <source>Remove (Delete)</source>
        <translation>Убрать (Delete)</translation>
    </message>
</context>
<context>
    <name>AttachmentDialog</name>
    <message>
        <source>Images and documents ({patterns})</source>
        <translation>Изображения и документы ({patterns})</translation>
    </message>
    <message>
        <source>Images ({patterns})</source>
        <translation>Изображения ({patterns})</translation>
    </message>
    <message>
        <source>Documents ({patterns})</source>
        <translation>Документы ({patterns})</translation>
    </message>
    <message>
        <source>All files (*)</source>
        <translation>Все файлы (*)</translation>
    </message>
    <message>
        <source>Attach files</source>
        <translation>Приложить файлы</translation>
    </message>
</context>
<context>
    <name>AttachmentSend</name>
    <message>
        <source>Remove {names} to send.</source>
        <translation>Чтобы отправить, уберите {names}.</translation>
    </message>
</context>
<context>
    <name>BudgetQuestion</name>
    <message>
        <source>Message too long for the model</source>
        <translation>Сообщение слишком длинное для модели</translation>
    </message>
    <message>
        <source>This message is about {tokens} tokens; the model&apos;s context leaves room for {limit}. Cut the documents to fit, or cancel?</source>
        <translation>В этом сообщении около {tokens} токенов, а контекст модели вмещает {limit}. Обрезать документы, чтобы поместились, или отменить?</translation>
    </message>
    <message>
        <source>A cut document says where it was cut, so the model knows text is missing.</source>
        <translation>Обрезанный документ помечен местом обреза, так что модель знает, что текст неполный.</translation>
    </message>
    <message>
        <source>Cut to fit</source>
        <translation>Обрезать</translation>
    </message>
</context>
<context>
    <name>ChatController</name>
    <message numerus="yes">
        <source>%n older message(s) were left out to fit the model&apos;s context.</source>
        <translation>
            <numerusform>В запрос не вошло %n старое сообщение: оно не помещается в контекст модели.</numerusform>
            <numerusform>В запрос не вошли %n старых сообщения: они не помещаются в контекст модели.</numerusform>
            <numerusform>В запрос не вошли %n старых сообщений: они не помещаются в контекст модели.</numerusform>
        </translation>
    </message>
    <message>
        <source>Something went wrong: {reason}</source>
        <translation>Что-то пошло не так: {reason}</translation>
    </message>
    <message>
        <source>An earlier message&apos;s attachments could not be read: {error}</source>
        <translation>Не удалось прочитать вложения одного из прежних сообщений: {error}</translation>
    </message>
    <message>
        <source>{model} does not take images: they were sent as their names.</source>
        <translation>{model} не принимает изображения: вместо них отправлены их имена.</translation>
    </message>
    <message>
        <source>This model</source>
        <translation>Эта модель</translation>
    </message>
    <message>
        <source>Pick a vision model to send images.</source>
        <translation>Чтобы отправлять изображения, выберите модель, которая их понимает.</translation>
    </message>
    <message>
        <source>The answer reached the maximum length set for this conversation.</source>
        <translation>Ответ достиг максимальной длины, заданной для этого чата.</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>Waiting for attachments…</source>
        <translation>Ждём вложения…</translation>
    </message>
    <message>
        <source>Preparing…</source>
        <translation>Подготовка…</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Отправить</translation>
    </message>
    <message>
        <source>Sends once the attachments are ready</source>
        <translation>Отправится, как только вложения будут готовы</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Остановить</translation>
    </message>
    <message>
        <source>Attach files (Ctrl+U)</source>
        <translation>Приложить файлы (Ctrl+U)</translation>
    </message>
    <message>
        <source>Attach files</source>
        <translation>Приложить файлы</translation>
    </message>
    <message>
        <source>Attach files…</source>
        <translation>Приложить файлы…</translation>
    </message>
    <message>
        <source>Stop the answer (Esc)</source>
        <translation>Остановить ответ (Esc)</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>Сообщение</translation>
    </message>
    <message>
        <source>Ask anything…</source>
        <translation>Спросите что угодно…</translation>
    </message>
    <message>
        <source>Ctrl+Enter to send, Enter for a new line</source>
        <translation>Ctrl+Enter — отправить, Enter — новая строка</translation>
    </message>
    <message>
        <source>Enter to send, Shift+Enter for a new line</source>
        <translation>Enter — отправить, Shift+Enter — новая строка</translation>
    </message>
    <message>
        <source>Editing a sent message: sending replaces it and the answers after it.</source>
        <translation>Редактирование отправленного сообщения: новая версия заменит его и все ответы после него.</translation>
    </message>
</context>
<context>
    <name>ConnectionTest</name>
    <message>
        <source>The proxy password could not be read: {reason}</source>
        <translation>Не удалось прочитать пароль прокси: {reason}</translation>
    </message>
    <message>
        <source>Connected to {host} through the proxy in {ms} ms.</source>
        <translation>Соединение с {host} через прокси установлено за {ms} мс.</translation>
    </message>
    <message>
        <source>Connected to {host} in {ms} ms.</source>
        <translation>Соединение с {host} установлено за {ms} мс.</translation>
    </message>
    <message>
        <source>The server answered {status}.</source>
        <translation>Ответ сервера: {status}.</translation>
    </message>
</context>
<context>
    <name>ConversationSettingsDialog</name>
    <message>
        <source>Conversation settings</source>
        <translation>Настройки чата</translation>
    </message>
    <message>
        <source>&amp;System prompt (instructions the model gets before your messages):</source>
        <translation>&amp;Системный промпт (инструкции, которые модель получает перед сообщениями):</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>Системный промпт</translation>
    </message>
    <message>
        <source>&amp;Temperature:</source>
        <translation>&amp;Температура:</translation>
    </message>
    <message>
        <source>&amp;Longest answer (tokens):</source>
        <translation>&amp;Максимальная длина ответа (в токенах):</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>Температура</translation>
    </message>
    <message>
        <source>Longest answer in tokens</source>
        <translation>Максимальная длина ответа в токенах</translation>
    </message>
    <message>
        <source>Unchecked values are left to the server. The changes apply to the next answer.</source>
        <translation>Неотмеченные параметры выбирает сервер. Изменения действуют со следующего ответа.</translation>
    </message>
</context>
<context>
    <name>Conversations</name>
    <message>
        <source>There is no answer to regenerate yet.</source>
        <translation>Пока нет ответа, который можно сгенерировать заново.</translation>
    </message>
</context>
<context>
    <name>DesktopSection</name>
    <message>
        <source>Looking for model servers on this computer…</source>
        <translation>Поиск серверов моделей на этом компьютере…</translation>
    </message>
    <message numerus="yes">
        <source>%n server(s) answered.</source>
        <translation>
            <numerusform>Ответил %n сервер.</numerusform>
            <numerusform>Ответили %n сервера.</numerusform>
            <numerusform>Ответили %n серверов.</numerusform>
        </translation>
    </message>
    <message>
        <source>No model server answered on this computer (Ollama, LM Studio, llama.cpp, vLLM, Jan).</source>
        <translation>На этом компьютере не ответил ни один сервер моделей (Ollama, LM Studio, llama.cpp, vLLM, Jan).</translation>
    </message>
    <message>
        <source>Add {server}</source>
        <translation>Добавить {server}</translation>
    </message>
    <message>
        <source>Added</source>
        <translation>Добавлен</translation>
    </message>
    <message>
        <source>Already set up</source>
        <translation>Уже настроен</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>Добавить</translation>
    </message>
    <message>
        <source>{server} at {address}: no models yet</source>
        <translation>{server} по адресу {address}: моделей пока нет</translation>
    </message>
    <message>
        <source>{server} at {address}: {models}</source>
        <translation>{server} по адресу {address}: {models}</translation>
    </message>
    <message>
        <source>{server} is now in Providers; OK or Apply saves it.</source>
        <translation>{server} теперь среди провайдеров; «OK» или «Применить» сохранит его.</translation>
    </message>
    <message>
        <source>Desktop</source>
        <translation>Рабочий стол</translation>
    </message>
    <message>
        <source>&amp;Quick prompt shortcut:</source>
        <translation>Сочетание для &amp;быстрого запроса:</translation>
    </message>
    <message>
        <source>Opens the quick prompt from any application. Clear it to use only the tray icon.</source>
        <translation>Открывает быстрый запрос из любого приложения. Если очистить поле, быстрый запрос будет доступен только через значок в области уведомлений.</translation>
    </message>
    <message>
        <source>Clear the shortcut</source>
        <translation>Очистить сочетание клавиш</translation>
    </message>
    <message>
        <source>&amp;Keep Parley in the tray when its window is closed</source>
        <translation>Оставлять Parley в области &amp;уведомлений при закрытии окна</translation>
    </message>
    <message>
        <source>No system tray was found on this desktop: closing the window quits Parley.</source>
        <translation>Область уведомлений на этом рабочем столе не найдена: закрытие окна завершает Parley.</translation>
    </message>
    <message>
        <source>Notify me when an answer finishes while Parley is in the &amp;background</source>
        <translation>Уведомлять о готовом ответе, когда Parley работает в &amp;фоне</translation>
    </message>
    <message>
        <source>Start Parley when I log &amp;in</source>
        <translation>Запускать Parley при &amp;входе в систему</translation>
    </message>
    <message>
        <source>Model servers on this computer</source>
        <translation>Серверы моделей на этом компьютере</translation>
    </message>
    <message>
        <source>S&amp;can for local servers</source>
        <translation>&amp;Найти локальные серверы</translation>
    </message>
    <message>
        <source>Finds Ollama, LM Studio, llama.cpp, vLLM and Jan running on this computer.</source>
        <translation>Находит запущенные на этом компьютере Ollama, LM Studio, llama.cpp, vLLM и Jan.</translation>
    </message>
</context>
<context>
    <name>DesktopShell</name>
    <message>
        <source>Parley is still running</source>
        <translation>Parley продолжает работать</translation>
    </message>
    <message>
        <source>Parley stays in the tray so the quick prompt is one shortcut away. Choose Quit in this icon&apos;s menu to close it, or change this in Preferences → General.</source>
        <translation>Parley остаётся в области уведомлений, чтобы быстрый запрос открывался одним сочетанием клавиш. Чтобы закрыть программу, выберите «Выйти» в меню этого значка или измените поведение в разделе «Настройки → Общие».</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>Новый чат</translation>
    </message>
    <message>
        <source>The answer in “{title}” failed</source>
        <translation>Ошибка ответа в чате «{title}»</translation>
    </message>
    <message>
        <source>Answer ready in “{title}”</source>
        <translation>Ответ в чате «{title}» готов</translation>
    </message>
    <message>
        <source>(no text)</source>
        <translation>(без текста)</translation>
    </message>
</context>
<context>
    <name>DocumentViewer</name>
    <message numerus="yes">
        <source>%n page(s)</source>
        <translation>
            <numerusform>%n страница</numerusform>
            <numerusform>%n страницы</numerusform>
            <numerusform>%n страниц</numerusform>
        </translation>
    </message>
    <message>
        <source>{count} characters</source>
        <translation>символов: {count}</translation>
    </message>
    <message>
        <source>Text extracted from {name}</source>
        <translation>Текст, извлечённый из {name}</translation>
    </message>
</context>
<context>
    <name>DropHighlight</name>
    <message>
        <source>Drop files to attach</source>
        <translation>Отпустите файлы, чтобы приложить их</translation>
    </message>
</context>
<context>
    <name>FileActions</name>
    <message>
        <source>That conversation no longer exists.</source>
        <translation>Этого чата больше нет.</translation>
    </message>
    <message>
        <source>Markdown (*.md)</source>
        <translation>Markdown (*.md)</translation>
    </message>
    <message>
        <source>Parley JSON (*.json)</source>
        <translation>JSON Parley (*.json)</translation>
    </message>
    <message>
        <source>Web page (*.html)</source>
        <translation>Веб-страница (*.html)</translation>
    </message>
    <message>
        <source>Nothing to export yet: this chat has no messages.</source>
        <translation>Экспортировать пока нечего: в этом чате нет сообщений.</translation>
    </message>
    <message>
        <source>Export conversation</source>
        <translation>Экспорт чата</translation>
    </message>
    <message>
        <source>Could not export to {path}: {reason}</source>
        <translation>Не удалось экспортировать в {path}: {reason}</translation>
    </message>
    <message>
        <source>Exported to {path}</source>
        <translation>Экспортировано в {path}</translation>
    </message>
    <message>
        <source>Import conversation</source>
        <translation>Импорт чата</translation>
    </message>
    <message>
        <source>Could not import {path}: {reason}</source>
        <translation>Не удалось импортировать {path}: {reason}</translation>
    </message>
</context>
<context>
    <name>GeneralPage</name>
    <message>
        <source>System language</source>
        <translation>Язык системы</translation>
    </message>
    <message>
        <source>Follow the system</source>
        <translation>Как в системе</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>Светлая</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>Тёмная</translation>
    </message>
    <message>
        <source>Enter sends, Shift+Enter adds a line</source>
        <translation>Enter — отправить, Shift+Enter — новая строка</translation>
    </message>
    <message>
        <source>Ctrl+Enter sends, Enter adds a line</source>
        <translation>Ctrl+Enter — отправить, Enter — новая строка</translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation>&amp;Язык:</translation>
    </message>
    <message>
        <source>Menus and messages switch at once; answers keep their language.</source>
        <translation>Меню и сообщения переключаются сразу; ответы остаются на своём языке.</translation>
    </message>
    <message>
        <source>&amp;Theme:</source>
        <translation>&amp;Тема:</translation>
    </message>
    <message>
        <source>&amp;Send with:</source>
        <translation>&amp;Клавиша отправки:</translation>
    </message>
    <message>
        <source>&amp;Font size:</source>
        <translation>&amp;Размер шрифта:</translation>
    </message>
    <message>
        <source> pt</source>
        <translation> пт</translation>
    </message>
    <message>
        <source>System size</source>
        <translation>Как в системе</translation>
    </message>
</context>
<context>
    <name>GlobalHotkey</name>
    <message>
        <source>Global shortcuts are not available on this display ({platform})</source>
        <translation>Глобальные сочетания клавиш недоступны на этом дисплее ({platform})</translation>
    </message>
    <message>
        <source>{reason}; bind a shortcut in your desktop settings to run `parley --quick`.</source>
        <translation>{reason}; назначьте в настройках рабочего стола сочетание клавиш для команды `parley --quick`.</translation>
    </message>
    <message>
        <source>{shortcut} is already used by another application; choose another shortcut.</source>
        <translation>{shortcut} уже занято другим приложением; выберите другое сочетание.</translation>
    </message>
    <message>
        <source>{shortcut} could not be registered ({system} error {code}).</source>
        <translation>Не удалось зарегистрировать {shortcut} (ошибка {system} {code}).</translation>
    </message>
    <message>
        <source>Global shortcuts need a running Qt application.</source>
        <translation>Для глобальных сочетаний клавиш нужно запущенное приложение Qt.</translation>
    </message>
    <message>
        <source>No shortcut given.</source>
        <translation>Сочетание клавиш не задано.</translation>
    </message>
    <message>
        <source>{shortcut} is a sequence of keys; a global shortcut is one key combination.</source>
        <translation>{shortcut} — последовательность нажатий, а глобальное сочетание должно быть одним.</translation>
    </message>
    <message>
        <source>{shortcut} is not a key combination Parley understands.</source>
        <translation>Parley не понимает сочетание {shortcut}.</translation>
    </message>
    <message>
        <source>{shortcut} has no key besides the modifiers.</source>
        <translation>В сочетании {shortcut} нет клавиши, кроме модификаторов.</translation>
    </message>
    <message>
        <source>{shortcut} cannot be a global shortcut; use a letter, digit, F-key or Space.</source>
        <translation>{shortcut} не может быть глобальным сочетанием; используйте букву, цифру, F-клавишу или пробел.</translation>
    </message>
    <message>
        <source>{shortcut} would take that key from every application; add Ctrl, Alt or Meta.</source>
        <translation>{shortcut} отнимет эту клавишу у всех приложений; добавьте Ctrl, Alt или Meta.</translation>
    </message>
    <message>
        <source>{shortcut} has no key on a Mac keyboard.</source>
        <translation>Для {shortcut} нет клавиши на клавиатуре Mac.</translation>
    </message>
    <message>
        <source>Carbon is not available, so global shortcuts cannot be registered.</source>
        <translation>Carbon недоступен, поэтому зарегистрировать глобальные сочетания клавиш нельзя.</translation>
    </message>
    <message>
        <source>Cannot reach the desktop&apos;s shortcut service: {error}.</source>
        <translation>Служба сочетаний клавиш рабочего стола недоступна: {error}.</translation>
    </message>
    <message>
        <source>Global shortcuts on Wayland need the jeepney package</source>
        <translation>Для глобальных сочетаний клавиш в Wayland нужен пакет jeepney</translation>
    </message>
    <message>
        <source>No D-Bus session bus, so the desktop&apos;s shortcut service cannot be reached</source>
        <translation>Нет сеансовой шины D-Bus, поэтому служба сочетаний клавиш рабочего стола недоступна</translation>
    </message>
    <message>
        <source>The desktop&apos;s portal service does not answer</source>
        <translation>Служба порталов рабочего стола не отвечает</translation>
    </message>
    <message>
        <source>This desktop does not offer global shortcuts to applications</source>
        <translation>Этот рабочий стол не предоставляет приложениям глобальные сочетания клавиш</translation>
    </message>
    <message>
        <source>Global shortcuts on Wayland need the jeepney package.</source>
        <translation>Для глобальных сочетаний клавиш в Wayland нужен пакет jeepney.</translation>
    </message>
    <message>
        <source>The desktop did not open a shortcut session</source>
        <translation>Рабочий стол не открыл сеанс для сочетаний клавиш</translation>
    </message>
    <message>
        <source>Open the Parley quick prompt</source>
        <translation>Открыть быстрый запрос Parley</translation>
    </message>
    <message>
        <source>The shortcut was not confirmed in the desktop&apos;s dialog</source>
        <translation>Сочетание клавиш не подтверждено в диалоге рабочего стола</translation>
    </message>
    <message>
        <source>The desktop refused the shortcut</source>
        <translation>Рабочий стол отклонил сочетание клавиш</translation>
    </message>
    <message>
        <source>The desktop&apos;s shortcut service answered {method} with {error}</source>
        <translation>Служба сочетаний клавиш ответила на {method} ошибкой {error}</translation>
    </message>
    <message>
        <source>Windows shortcuts can only be registered on Windows.</source>
        <translation>Сочетания клавиш Windows можно зарегистрировать только в Windows.</translation>
    </message>
    <message>
        <source>Global shortcuts need an X11 display; Qt is not running on one.</source>
        <translation>Для глобальных сочетаний клавиш нужен дисплей X11, а Qt запущен не на нём.</translation>
    </message>
    <message>
        <source>{shortcut} has no key on this keyboard layout.</source>
        <translation>Для {shortcut} нет клавиши в этой раскладке клавиатуры.</translation>
    </message>
    <message>
        <source>{shortcut} could not be grabbed (X error {code}).</source>
        <translation>Не удалось перехватить {shortcut} (ошибка X {code}).</translation>
    </message>
</context>
<context>
    <name>ImageViewer</name>
    <message>
        <source>Image {name}, {width} × {height} pixels</source>
        <translation>Изображение {name}, {width} × {height} пикселей</translation>
    </message>
</context>
<context>
    <name>LocalServerBanner</name>
    <message>
        <source>Using {server} at {address}, found on this computer — change in Preferences.</source>
        <translation>Используется {server} по адресу {address}, найденный на этом компьютере; изменить можно в настройках.</translation>
    </message>
    <message>
        <source>Preferences…</source>
        <translation>Настройки…</translation>
    </message>
    <message>
        <source>Hide this message</source>
        <translation>Скрыть это сообщение</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Choose where answers come from first: Yqcloud or an API key.</source>
        <translation>Сначала выберите, откуда брать ответы: Yqcloud или ключ API.</translation>
    </message>
    <message>
        <source>Conversation imported.</source>
        <translation>Чат импортирован.</translation>
    </message>
    <message>
        <source>Diagnostics copied to the clipboard.</source>
        <translation>Диагностические сведения скопированы в буфер обмена.</translation>
    </message>
    <message>
        <source>Could not open {folder}.</source>
        <translation>Не удалось открыть {folder}.</translation>
    </message>
    <message>
        <source>Parley</source>
        <translation>Parley</translation>
    </message>
    <message>
        <source>Toolbar</source>
        <translation>Панель инструментов</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Файл</translation>
    </message>
    <message>
        <source>&amp;Export conversation</source>
        <translation>&amp;Экспортировать чат</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>&amp;Правка</translation>
    </message>
    <message>
        <source>&amp;Chat</source>
        <translation>&amp;Чат</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Справка</translation>
    </message>
    <message>
        <source>&amp;New chat</source>
        <translation>&amp;Новый чат</translation>
    </message>
    <message>
        <source>&amp;Import conversation (JSON)…</source>
        <translation>&amp;Импортировать чат (JSON)…</translation>
    </message>
    <message>
        <source>As &amp;Markdown…</source>
        <translation>В формате &amp;Markdown…</translation>
    </message>
    <message>
        <source>As &amp;JSON…</source>
        <translation>В формате &amp;JSON…</translation>
    </message>
    <message>
        <source>As &amp;HTML…</source>
        <translation>В формате &amp;HTML…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Выход</translation>
    </message>
    <message>
        <source>&amp;Search conversations</source>
        <translation>&amp;Поиск по чатам</translation>
    </message>
    <message>
        <source>&amp;Preferences…</source>
        <translation>&amp;Настройки…</translation>
    </message>
    <message>
        <source>&amp;Stop answer</source>
        <translation>&amp;Остановить ответ</translation>
    </message>
    <message>
        <source>&amp;Regenerate last answer</source>
        <translation>Сгенерировать последний ответ &amp;заново</translation>
    </message>
    <message>
        <source>&amp;Quick prompt</source>
        <translation>&amp;Быстрый запрос</translation>
    </message>
    <message>
        <source>Conversation &amp;settings…</source>
        <translation>Настройки &amp;чата…</translation>
    </message>
    <message>
        <source>Re&amp;name conversation</source>
        <translation>Переи&amp;меновать чат</translation>
    </message>
    <message>
        <source>&amp;Delete conversation…</source>
        <translation>&amp;Удалить чат…</translation>
    </message>
    <message>
        <source>&amp;About Parley</source>
        <translation>&amp;О программе Parley</translation>
    </message>
    <message>
        <source>Open &amp;data folder</source>
        <translation>Открыть папку &amp;данных</translation>
    </message>
    <message>
        <source>&amp;Copy diagnostics</source>
        <translation>&amp;Копировать диагностику</translation>
    </message>
</context>
<context>
    <name>MarkdownHtml</name>
    <message>
        <source>[image: {alt}]</source>
        <translation>[изображение: {alt}]</translation>
    </message>
</context>
<context>
    <name>ModelsPage</name>
    <message>
        <source>The context window of {model} is a whole number of tokens (for example 32768); leave it empty to use what the server says.</source>
        <translation>Контекстное окно {model} — целое число токенов (например, 32768); оставьте поле пустым, чтобы использовать значение сервера.</translation>
    </message>
    <message>
        <source>Whether {model} takes images</source>
        <translation>Принимает ли {model} изображения</translation>
    </message>
    <message>
        <source>Automatic: as the server or the model&apos;s name says. No: images are replaced by their names.</source>
        <translation>Автоматически: как сообщает сервер или как следует из названия модели. Нет: вместо изображений отправляются их имена.</translation>
    </message>
    <message>
        <source>Context window of {model} in tokens</source>
        <translation>Контекстное окно {model} в токенах</translation>
    </message>
    <message>
        <source>as the server says</source>
        <translation>как сообщает сервер</translation>
    </message>
    <message>
        <source>Parley asks servers which models take images and how many tokens fit in their context window. Set a model here when its server does not say or says it wrong. When a server refuses a model&apos;s images, Parley sets it to “No” by itself.</source>
        <translation>Parley узнаёт у серверов, какие модели принимают изображения и сколько токенов помещается в их контекстное окно. Задайте модель здесь, если её сервер этого не сообщает или сообщает неверно. Если сервер отклонит изображения для модели, Parley сам поставит ей «Нет».</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Модель</translation>
    </message>
    <message>
        <source>Takes images</source>
        <translation>Принимает изображения</translation>
    </message>
    <message>
        <source>Context window (tokens)</source>
        <translation>Контекстное окно (токены)</translation>
    </message>
    <message>
        <source>Model settings</source>
        <translation>Настройки моделей</translation>
    </message>
    <message>
        <source>Model id to add</source>
        <translation>Идентификатор добавляемой модели</translation>
    </message>
    <message>
        <source>Model id, for example {model}</source>
        <translation>Идентификатор модели, например {model}</translation>
    </message>
    <message>
        <source>Model id, as the server names it</source>
        <translation>Идентификатор модели, как его называет сервер</translation>
    </message>
    <message>
        <source>A&amp;dd</source>
        <translation>&amp;Добавить</translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation>&amp;Удалить</translation>
    </message>
    <message>
        <source>Forget the selected models&apos; settings (Delete)</source>
        <translation>Забыть настройки выбранных моделей (Delete)</translation>
    </message>
    <message>
        <source>Attachments</source>
        <translation>Вложения</translation>
    </message>
    <message>
        <source>Largest &amp;file:</source>
        <translation>Максимальный размер &amp;файла:</translation>
    </message>
    <message>
        <source> MB</source>
        <translation> МБ</translation>
    </message>
    <message>
        <source>Larger files are refused when you attach them.</source>
        <translation>Файлы большего размера не прикрепляются.</translation>
    </message>
    <message>
        <source>Largest attachment in megabytes</source>
        <translation>Максимальный размер вложения в мегабайтах</translation>
    </message>
    <message>
        <source>Downscale &amp;images to:</source>
        <translation>Уменьшать &amp;изображения до:</translation>
    </message>
    <message>
        <source> px, longest side</source>
        <translation> пикс. по длинной стороне</translation>
    </message>
    <message>
        <source>Larger images are made smaller before they are sent; fewer pixels cost fewer tokens.</source>
        <translation>Изображения крупнее уменьшаются перед отправкой: меньше пикселей — меньше токенов.</translation>
    </message>
    <message>
        <source>Longest image side in pixels</source>
        <translation>Длинная сторона изображения в пикселях</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>Автоматически</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>Да</translation>
    </message>
    <message>
        <source>No</source>
        <translation>Нет</translation>
    </message>
</context>
<context>
    <name>NetworkPage</name>
    <message>
        <source>Enter the proxy&apos;s host name or IP address.</source>
        <translation>Введите имя хоста или IP-адрес прокси.</translation>
    </message>
    <message>
        <source>Enter only the host name (for example proxy.example.com), without http://.</source>
        <translation>Введите только имя хоста (например, proxy.example.com), без http://.</translation>
    </message>
    <message>
        <source>A host name has no spaces, slashes or @.</source>
        <translation>Имя хоста не содержит пробелов, косых черт и @.</translation>
    </message>
    <message>
        <source>Enter the proxy&apos;s port (1–65535).</source>
        <translation>Введите порт прокси (1–65535).</translation>
    </message>
    <message>
        <source>The port is a whole number from 1 to 65535.</source>
        <translation>Порт — целое число от 1 до 65535.</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>Подключение…</translation>
    </message>
    <message>
        <source>Proxy</source>
        <translation>Прокси</translation>
    </message>
    <message>
        <source>&amp;No proxy</source>
        <translation>&amp;Без прокси</translation>
    </message>
    <message>
        <source>Use the &amp;system proxy settings</source>
        <translation>Использовать системные &amp;настройки прокси</translation>
    </message>
    <message>
        <source>&amp;Manual proxy:</source>
        <translation>Настроить прокси &amp;вручную:</translation>
    </message>
    <message>
        <source>&amp;Type:</source>
        <translation>&amp;Тип:</translation>
    </message>
    <message>
        <source>&amp;Host:</source>
        <translation>&amp;Хост:</translation>
    </message>
    <message>
        <source>P&amp;ort:</source>
        <translation>По&amp;рт:</translation>
    </message>
    <message>
        <source>&amp;User name:</source>
        <translation>&amp;Имя пользователя:</translation>
    </message>
    <message>
        <source>Pass&amp;word:</source>
        <translation>Паро&amp;ль:</translation>
    </message>
    <message>
        <source>proxy.example.com</source>
        <translation>proxy.example.com</translation>
    </message>
    <message>
        <source>optional</source>
        <translation>необязательно</translation>
    </message>
    <message>
        <source>saved in the keychain; type to replace</source>
        <translation>сохранён в хранилище ключей; введите новый, чтобы заменить</translation>
    </message>
    <message>
        <source>Kept in the system keychain, never in the settings file.</source>
        <translation>Хранится в системном хранилище ключей, а не в файле настроек.</translation>
    </message>
    <message>
        <source>Proxy type</source>
        <translation>Тип прокси</translation>
    </message>
    <message>
        <source>Proxy host</source>
        <translation>Хост прокси</translation>
    </message>
    <message>
        <source>Proxy port</source>
        <translation>Порт прокси</translation>
    </message>
    <message>
        <source>Proxy user name</source>
        <translation>Имя пользователя прокси</translation>
    </message>
    <message>
        <source>Proxy password</source>
        <translation>Пароль прокси</translation>
    </message>
    <message>
        <source>T&amp;imeout:</source>
        <translation>Тайм-&amp;аут:</translation>
    </message>
    <message>
        <source>Whole answer &amp;limit:</source>
        <translation>&amp;Максимум на весь ответ:</translation>
    </message>
    <message>
        <source> s</source>
        <translation> с</translation>
    </message>
    <message>
        <source>How long to wait for a server to connect and for each next piece of an answer.</source>
        <translation>Сколько ждать подключения к серверу и каждой следующей части ответа.</translation>
    </message>
    <message>
        <source>No limit</source>
        <translation>Без ограничения</translation>
    </message>
    <message>
        <source>Stop any answer that takes longer than this in total.</source>
        <translation>Останавливать ответ, который в целом длится дольше.</translation>
    </message>
    <message>
        <source>Timeout in seconds</source>
        <translation>Тайм-аут в секундах</translation>
    </message>
    <message>
        <source>Whole answer limit in seconds</source>
        <translation>Максимум на весь ответ в секундах</translation>
    </message>
    <message>
        <source>Test &amp;connection</source>
        <translation>Проверить сое&amp;динение</translation>
    </message>
</context>
<context>
    <name>PreferencesDialog</name>
    <message>
        <source>{problem} Nothing was saved: fix the keychain, or clear the key and password fields and try again.</source>
        <translation>{problem} Ничего не сохранено: устраните проблему с хранилищем ключей или очистите поля ключа и пароля и повторите попытку.</translation>
    </message>
    <message>
        <source>Could not list models: {reason}</source>
        <translation>Не удалось получить список моделей: {reason}</translation>
    </message>
    <message>
        <source>Preferences</source>
        <translation>Настройки</translation>
    </message>
    <message>
        <source>&amp;Network</source>
        <translation>&amp;Сеть</translation>
    </message>
    <message>
        <source>&amp;Providers</source>
        <translation>&amp;Провайдеры</translation>
    </message>
    <message>
        <source>&amp;General</source>
        <translation>&amp;Общие</translation>
    </message>
    <message>
        <source>Mod&amp;els</source>
        <translation>Мод&amp;ели</translation>
    </message>
</context>
<context>
    <name>ProfileForm</name>
    <message>
        <source>Yqcloud (unofficial, no account)</source>
        <translation>Yqcloud (неофициальный, без учётной записи)</translation>
    </message>
    <message>
        <source>OpenAI-compatible API</source>
        <translation>API, совместимый с OpenAI</translation>
    </message>
    <message>
        <source>Ollama</source>
        <translation>Ollama</translation>
    </message>
    <message>
        <source>Enter the API&apos;s base URL, for example http://127.0.0.1:8080/v1.</source>
        <translation>Введите базовый URL API, например http://127.0.0.1:8080/v1.</translation>
    </message>
    <message>
        <source>The base URL starts with http:// or https:// and names a server.</source>
        <translation>Базовый URL начинается с http:// или https:// и указывает сервер.</translation>
    </message>
    <message>
        <source>Give this provider a name.</source>
        <translation>Дайте провайдеру название.</translation>
    </message>
    <message numerus="yes">
        <source>%n model(s) offered by the server.</source>
        <translation>
            <numerusform>Сервер предлагает %n модель.</numerusform>
            <numerusform>Сервер предлагает %n модели.</numerusform>
            <numerusform>Сервер предлагает %n моделей.</numerusform>
        </translation>
    </message>
    <message>
        <source>The server did not list any models; type the model&apos;s name.</source>
        <translation>Сервер не вернул список моделей; введите название модели.</translation>
    </message>
    <message>
        <source>Asking the server for its models…</source>
        <translation>Запрос списка моделей у сервера…</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>&amp;Название:</translation>
    </message>
    <message>
        <source>Kind:</source>
        <translation>Тип:</translation>
    </message>
    <message>
        <source>&amp;Base URL:</source>
        <translation>&amp;Базовый URL:</translation>
    </message>
    <message>
        <source>API &amp;key:</source>
        <translation>&amp;Ключ API:</translation>
    </message>
    <message>
        <source>Default &amp;model:</source>
        <translation>&amp;Модель по умолчанию:</translation>
    </message>
    <message>
        <source>Hide</source>
        <translation>Скрыть</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>Показать</translation>
    </message>
    <message>
        <source>Show the API key</source>
        <translation>Показать ключ API</translation>
    </message>
    <message>
        <source>Ask the server which models it offers</source>
        <translation>Запросить у сервера список моделей</translation>
    </message>
    <message>
        <source>Refresh the model list</source>
        <translation>Обновить список моделей</translation>
    </message>
    <message>
        <source>http://127.0.0.1:8080/v1</source>
        <translation>http://127.0.0.1:8080/v1</translation>
    </message>
    <message>
        <source>A key is saved; type to replace it</source>
        <translation>Ключ сохранён; введите новый, чтобы заменить</translation>
    </message>
    <message>
        <source>Paste the API key</source>
        <translation>Вставьте ключ API</translation>
    </message>
    <message>
        <source>Kept in the system keychain (service “Parley”), never in the settings file; sent only to this provider. Local servers usually need no key.</source>
        <translation>Хранится в системном хранилище ключей (служба «Parley»), а не в файле настроек; отправляется только этому провайдеру. Локальным серверам ключ обычно не нужен.</translation>
    </message>
    <message>
        <source>Yqcloud is an unofficial third-party service: it sees your prompts and may be unavailable at any time. It needs no account and offers one model.</source>
        <translation>Yqcloud — неофициальный сторонний сервис: он видит запросы и может быть недоступен в любой момент. Учётная запись не нужна, доступна одна модель.</translation>
    </message>
</context>
<context>
    <name>ProvidersPage</name>
    <message>
        <source>Custom server</source>
        <translation>Свой сервер</translation>
    </message>
    <message>
        <source>None yet: add a provider</source>
        <translation>Пока нет: добавьте провайдера</translation>
    </message>
    <message>
        <source>Other OpenAI-compatible server…</source>
        <translation>Другой сервер, совместимый с OpenAI…</translation>
    </message>
    <message>
        <source>Ollama on another address…</source>
        <translation>Ollama по другому адресу…</translation>
    </message>
    <message>
        <source>New chats &amp;use:</source>
        <translation>Для новых &amp;чатов:</translation>
    </message>
    <message>
        <source>&amp;Add</source>
        <translation>&amp;Добавить</translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation>&amp;Удалить</translation>
    </message>
    <message>
        <source>Provider profiles</source>
        <translation>Профили провайдеров</translation>
    </message>
</context>
<context>
    <name>QuickPrompt</name>
    <message>
        <source>Preparing attachments… Enter sends once they are ready.</source>
        <translation>Вложения готовятся… Enter отправит, когда они будут готовы.</translation>
    </message>
    <message>
        <source>Not sent: the message is too long for the model.</source>
        <translation>Не отправлено: сообщение слишком длинное для модели.</translation>
    </message>
    <message>
        <source>Answer copied.</source>
        <translation>Ответ скопирован.</translation>
    </message>
    <message>
        <source>Parley — Quick prompt</source>
        <translation>Parley — быстрый запрос</translation>
    </message>
    <message>
        <source>Ask anything…</source>
        <translation>Спросите что угодно…</translation>
    </message>
    <message>
        <source>Quick prompt</source>
        <translation>Быстрый запрос</translation>
    </message>
    <message>
        <source>Enter sends · Shift+Enter adds a line · Esc closes</source>
        <translation>Enter&#xa0;—&#xa0;отправить · Shift+Enter&#xa0;—&#xa0;новая&#xa0;строка · Esc&#xa0;—&#xa0;закрыть</translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation>&amp;Копировать</translation>
    </message>
    <message>
        <source>Copy the answer</source>
        <translation>Копировать ответ</translation>
    </message>
    <message>
        <source>&amp;Open in Parley</source>
        <translation>&amp;Открыть в Parley</translation>
    </message>
    <message>
        <source>Continue this conversation in the main window</source>
        <translation>Продолжить этот чат в главном окне</translation>
    </message>
    <message>
        <source>Attach files (or paste or drop them here)</source>
        <translation>Приложить файлы (или вставьте либо перетащите их сюда)</translation>
    </message>
    <message>
        <source>Attach files</source>
        <translation>Приложить файлы</translation>
    </message>
</context>
<context>
    <name>Sidebar</name>
    <message>
        <source>Nothing found for “{query}”.</source>
        <translation>По запросу «{query}» ничего не найдено.</translation>
    </message>
    <message>
        <source>Delete conversation</source>
        <translation>Удаление чата</translation>
    </message>
    <message>
        <source>Delete “{title}” and all its messages? This cannot be undone.</source>
        <translation>Удалить чат «{title}» со всеми сообщениями? Это действие нельзя отменить.</translation>
    </message>
    <message>
        <source>Last activity: {when}</source>
        <translation>Последняя активность: {when}</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>Новый чат</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>Переименовать</translation>
    </message>
    <message>
        <source>Delete…</source>
        <translation>Удалить…</translation>
    </message>
    <message>
        <source>Start a new conversation (Ctrl+N)</source>
        <translation>Начать новый чат (Ctrl+N)</translation>
    </message>
    <message>
        <source>Search (Ctrl+F)</source>
        <translation>Поиск (Ctrl+F)</translation>
    </message>
    <message>
        <source>Search conversations</source>
        <translation>Поиск по чатам</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>Чаты</translation>
    </message>
    <message>
        <source>Search results</source>
        <translation>Результаты поиска</translation>
    </message>
</context>
<context>
    <name>SourcePicker</name>
    <message>
        <source>Not set up</source>
        <translation>Не настроен</translation>
    </message>
    <message>
        <source>&amp;Provider:</source>
        <translation>Про&amp;вайдер:</translation>
    </message>
    <message>
        <source>&amp;Model:</source>
        <translation>&amp;Модель:</translation>
    </message>
    <message>
        <source>Provider</source>
        <translation>Провайдер</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Модель</translation>
    </message>
    <message>
        <source>Pick a model the server offers, or type its name</source>
        <translation>Выберите модель из списка сервера или введите её название</translation>
    </message>
</context>
<context>
    <name>TranscriptText</name>
    <message>
        <source>You</source>
        <translation>Вы</translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation>Ассистент</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Копировать</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>Изменить</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>Сгенерировать заново</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>Повторить</translation>
    </message>
    <message>
        <source>Copy</source>
        <comment>the copy link of a code block</comment>
        <translation>Копировать</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>Остановлено.</translation>
    </message>
    <message>
        <source>The answer ended with an error.</source>
        <translation>Ответ завершился ошибкой.</translation>
    </message>
    <message>
        <source>Interrupted: Parley closed before the answer finished.</source>
        <translation>Прервано: Parley закрылся до завершения ответа.</translation>
    </message>
    <message>
        <source>This attachment could not be read from the history.</source>
        <translation>Это вложение не удалось прочитать из истории.</translation>
    </message>
    <message numerus="yes">
        <source>Reasoning (%n word(s))</source>
        <translation>
            <numerusform>Рассуждения (%n слово)</numerusform>
            <numerusform>Рассуждения (%n слова)</numerusform>
            <numerusform>Рассуждения (%n слов)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n page(s)</source>
        <translation>
            <numerusform>%n страница</numerusform>
            <numerusform>%n страницы</numerusform>
            <numerusform>%n страниц</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Show %n earlier message(s)</source>
        <translation>
            <numerusform>Показать %n более раннее сообщение</numerusform>
            <numerusform>Показать %n более ранних сообщения</numerusform>
            <numerusform>Показать %n более ранних сообщений</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TrayIcon</name>
    <message>
        <source>Parley</source>
        <translation>Parley</translation>
    </message>
    <message>
        <source>&amp;Quick prompt</source>
        <translation>&amp;Быстрый запрос</translation>
    </message>
    <message>
        <source>&amp;Open Parley</source>
        <translation>&amp;Открыть Parley</translation>
    </message>
    <message>
        <source>&amp;New chat</source>
        <translation>&amp;Новый чат</translation>
    </message>
    <message>
        <source>&amp;Preferences…</source>
        <translation>На&amp;стройки…</translation>
    </message>
    <message>
        <source>&amp;Quit Parley</source>
        <translation>&amp;Выйти из Parley</translation>
    </message>
</context>
<context>
    <name>WelcomePanel</name>
    <message>
        <source>Welcome to Parley</source>
        <translation>Добро пожаловать в Parley</translation>
    </message>
    <message>
        <source>Choose where your answers come from. You can change it any time in Preferences.</source>
        <translation>Выберите, откуда брать ответы. Изменить выбор можно в любой момент в настройках.</translation>
    </message>
    <message>
        <source>Try Yqcloud (no account)</source>
        <translation>Попробовать Yqcloud (без учётной записи)</translation>
    </message>
    <message>
        <source>Yqcloud is an unofficial third-party service, not affiliated with Parley. It sees your prompts, and it may be slow or unavailable at any time.</source>
        <translation>Yqcloud — неофициальный сторонний сервис, не связанный с Parley. Он видит запросы, может работать медленно или быть недоступен в любой момент.</translation>
    </message>
    <message>
        <source>Enter an API key…</source>
        <translation>Ввести ключ API…</translation>
    </message>
    <message>
        <source>Use OpenAI, OpenRouter, Groq, DeepSeek, Mistral or any OpenAI-compatible server, or a local Ollama. The key is kept in your system keychain.</source>
        <translation>OpenAI, OpenRouter, Groq, DeepSeek, Mistral, любой сервер, совместимый с OpenAI, или локальная Ollama. Ключ хранится в системном хранилище ключей.</translation>
    </message>
</context>
</TS>
