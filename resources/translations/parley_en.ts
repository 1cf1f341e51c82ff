<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>AnswerStatus</name>
    <message numerus="yes">
        <source>%n answer(s) were cut off when Parley last closed; they are marked interrupted.</source>
        <translation>
            <numerusform>%n answer was cut off when Parley last closed; it is marked interrupted.</numerusform>
            <numerusform>%n answers were cut off when Parley last closed; they are marked interrupted.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>AttachmentChip</name>
    <message numerus="yes">
        <source>Add %n page(s) as images</source>
        <translation>
            <numerusform>Add %n page as an image</numerusform>
            <numerusform>Add %n pages as images</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>~%Ln token(s)</source>
        <translation>
            <numerusform>~%Ln token</numerusform>
            <numerusform>~%Ln tokens</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n of {total} page(s) have no text — scanned?</source>
        <translation>
            <numerusform>%n of {total} pages has no text — scanned?</numerusform>
            <numerusform>%n of {total} pages have no text — scanned?</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ChatController</name>
    <message numerus="yes">
        <source>%n older message(s) were left out to fit the model&apos;s context.</source>
        <translation>
            <numerusform>%n older message was left out to fit the model&apos;s context.</numerusform>
            <numerusform>%n older messages were left out to fit the model&apos;s context.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>DesktopSection</name>
    <message numerus="yes">
        <source>%n server(s) answered.</source>
        <translation>
            <numerusform>%n server answered.</numerusform>
            <numerusform>%n servers answered.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>DocumentViewer</name>
    <message numerus="yes">
        <source>%n page(s)</source>
        <translation>
            <numerusform>%n page</numerusform>
            <numerusform>%n pages</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ProfileForm</name>
    <message numerus="yes">
        <source>%n model(s) offered by the server.</source>
        <translation>
            <numerusform>%n model offered by the server.</numerusform>
            <numerusform>%n models offered by the server.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TranscriptText</name>
    <message numerus="yes">
        <source>Reasoning (%n word(s))</source>
        <translation>
            <numerusform>Reasoning (%n word)</numerusform>
            <numerusform>Reasoning (%n words)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n page(s)</source>
        <translation>
            <numerusform>%n page</numerusform>
            <numerusform>%n pages</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Show %n earlier message(s)</source>
        <translation>
            <numerusform>Show %n earlier message</numerusform>
            <numerusform>Show %n earlier messages</numerusform>
        </translation>
    </message>
</context>
</TS>
