; Parley's Windows installer (NSIS 3). Built by packaging/build.py, which passes:
;   APP_NAME VERSION VERSION_NUMERIC PUBLISHER SOURCE_DIR OUT_FILE ICON GUI_EXE CLI_EXE
; `python packaging/build.py --check-nsis` compiles it on any OS around a stand-in bundle.
;
; - Per-user install into %LOCALAPPDATA%\Programs\Parley: no administrator rights, no UAC prompt.
; - Start-menu shortcut; optional desktop shortcut; optional `parley` command on the user PATH.
; - The uninstaller keeps chat history and settings unless the user ticks "Delete my chat history
;   and settings" (silent: Uninstall.exe /S /DELETEDATA). API keys in Windows Credential Manager
;   (entries "…@Parley") are left alone either way.

Unicode true
ManifestDPIAware true
SetCompressor /SOLID lzma
RequestExecutionLevel user

!macro _RequireDefine NAME
  !ifndef ${NAME}
    !error "makensis -D${NAME}=... is missing; build with packaging/build.py (see the header)"
  !endif
!macroend
!insertmacro _RequireDefine VERSION
!insertmacro _RequireDefine SOURCE_DIR
!insertmacro _RequireDefine OUT_FILE
!insertmacro _RequireDefine ICON
!ifndef APP_NAME
  !define APP_NAME "Parley"
!endif
!ifndef VERSION_NUMERIC
  !define VERSION_NUMERIC "0.0.0.0"
!endif
!ifndef PUBLISHER
  !define PUBLISHER "Parley developers"
!endif
!ifndef GUI_EXE
  !define GUI_EXE "parley-gui.exe"
!endif
!ifndef CLI_EXE
  !define CLI_EXE "parley.exe"
!endif

!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP_NAME}"
!define APP_PATHS_KEY "Software\Microsoft\Windows\CurrentVersion\App Paths\${CLI_EXE}"
; Where Qt keeps Parley's files (QStandardPaths with organisation and application "Parley"):
; settings under %LOCALAPPDATA%, history and logs under %APPDATA%.
!define DATA_FOLDER "${APP_NAME}"

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "Sections.nsh"
!include "FileFunc.nsh"
!include "WinMessages.nsh"

Name "${APP_NAME}"
OutFile "${OUT_FILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP_NAME}"
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"
BrandingText "${APP_NAME} ${VERSION}"

VIProductVersion "${VERSION_NUMERIC}"
VIFileVersion "${VERSION_NUMERIC}"
VIAddVersionKey /LANG=1033 "ProductName" "${APP_NAME}"
VIAddVersionKey /LANG=1033 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "FileDescription" "${APP_NAME} ${VERSION} Setup"
VIAddVersionKey /LANG=1033 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=1033 "LegalCopyright" "© ${PUBLISHER}. MIT License."

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_COMPONENTSPAGE_NODESC
!define MUI_FINISHPAGE_RUN "$INSTDIR\${GUI_EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${APP_NAME}"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "Russian"

; --- install -------------------------------------------------------------------------------------

Section "${APP_NAME}" SecApp
  SectionIn RO
  SetShellVarContext current
  ; Files of an older version would otherwise linger next to the new ones.
  RMDir /r "$INSTDIR\_internal"
  SetOutPath "$INSTDIR"
  File /r "${SOURCE_DIR}\*.*"
  WriteUninstaller "$INSTDIR\Uninstall.exe"

  CreateDirectory "$SMPROGRAMS\${APP_NAME}"
  CreateShortcut "$SMPROGRAMS\${APP_NAME}\${APP_NAME}.lnk" "$INSTDIR\${GUI_EXE}" "" "$INSTDIR\${GUI_EXE}" 0
  CreateShortcut "$SMPROGRAMS\${APP_NAME}\Uninstall ${APP_NAME}.lnk" "$INSTDIR\Uninstall.exe"

  ; Win+R "parley" and `start parley` find the CLI through App Paths even without PATH.
  WriteRegStr HKCU "${APP_PATHS_KEY}" "" "$INSTDIR\${CLI_EXE}"
  WriteRegStr HKCU "${APP_PATHS_KEY}" "Path" "$INSTDIR"

  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${GUI_EXE},0"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\Uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" "$0"
SectionEnd

Section /o "Desktop shortcut" SecDesktop
  SetShellVarContext current
  CreateShortcut "$DESKTOP\${APP_NAME}.lnk" "$INSTDIR\${GUI_EXE}" "" "$INSTDIR\${GUI_EXE}" 0
SectionEnd

Section "Add the parley command to PATH" SecPath
  ; The user PATH is edited through the registry API in PowerShell: NSIS strings are limited to
  ; 1024 characters and would cut a long PATH. The folder is passed in an environment variable,
  ; so no quoting of user names (O'Brien) can break the command. REG_EXPAND_SZ entries stay as
  ; they were.
  System::Call 'Kernel32::SetEnvironmentVariable(t "PARLEY_INSTDIR", t "$INSTDIR")i'
  nsExec::ExecToLog 'powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command "\
    $$d = $$env:PARLEY_INSTDIR; \
    $$k = [Microsoft.Win32.Registry]::CurrentUser.CreateSubKey(\"Environment\"); \
    $$old = [string]$$k.GetValue(\"Path\", \"\", \"DoNotExpandEnvironmentNames\"); \
    $$parts = @($$old -split \";\" | Where-Object { $$_ -and $$_.TrimEnd(\"\\\") -ne $$d.TrimEnd(\"\\\") }); \
    $$k.SetValue(\"Path\", (($$parts + $$d) -join \";\"), \"ExpandString\")"'
  Pop $0
  ${If} $0 != 0
    DetailPrint "Could not add $INSTDIR to PATH (PowerShell exit $0); run it as $INSTDIR\${CLI_EXE}"
  ${EndIf}
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "AddedToPath" 1
  SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=2000
SectionEnd

; --- uninstall -----------------------------------------------------------------------------------

Section "un.${APP_NAME}" UnSecApp
  SectionIn RO
  SetShellVarContext current
  ReadRegDWORD $0 HKCU "${UNINSTALL_KEY}" "AddedToPath"
  ${If} $0 == 1
    System::Call 'Kernel32::SetEnvironmentVariable(t "PARLEY_INSTDIR", t "$INSTDIR")i'
    nsExec::ExecToLog 'powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command "\
      $$d = $$env:PARLEY_INSTDIR; \
      $$k = [Microsoft.Win32.Registry]::CurrentUser.CreateSubKey(\"Environment\"); \
      $$old = [string]$$k.GetValue(\"Path\", \"\", \"DoNotExpandEnvironmentNames\"); \
      $$parts = @($$old -split \";\" | Where-Object { $$_ -and $$_.TrimEnd(\"\\\") -ne $$d.TrimEnd(\"\\\") }); \
      $$k.SetValue(\"Path\", ($$parts -join \";\"), \"ExpandString\")"'
    Pop $0
    SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=2000
  ${EndIf}

  Delete "$DESKTOP\${APP_NAME}.lnk"
  RMDir /r "$SMPROGRAMS\${APP_NAME}"
  ; Only what the installer put there: a data folder someone chose inside $INSTDIR survives.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${GUI_EXE}"
  Delete "$INSTDIR\${CLI_EXE}"
  Delete "$INSTDIR\Uninstall.exe"
  RMDir "$INSTDIR"

  DeleteRegKey HKCU "${APP_PATHS_KEY}"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
SectionEnd

Section /o "un.Delete my chat history and settings" UnSecData
  SetShellVarContext current
  RMDir /r "$APPDATA\${DATA_FOLDER}"
  RMDir /r "$LOCALAPPDATA\${DATA_FOLDER}"
SectionEnd

Function un.onInit
  ; Silent uninstall keeps the data unless /DELETEDATA is given.
  ${GetParameters} $0
  ClearErrors
  ${GetOptions} $0 "/DELETEDATA" $1
  ${IfNot} ${Errors}
    !insertmacro SelectSection ${UnSecData}
  ${EndIf}
FunctionEnd
