/**
 * Word classes for the dense features of the detector: the vocabulary of instruction override,
 * prompt extraction, persona switching and safety evasion, in 15 languages. These features do
 * not depend on memorised n-grams, so they carry over to attack sources the model never saw
 * (OWASP LLM01:2025, "Prompt Injection": direct, indirect and multilingual variants).
 *
 * Entries are matched against the folded view (`foldForDetection`), after folding themselves,
 * so "1gn0r3" and "IGNORE" reach the same entry. `word*` matches a word that starts with
 * `word` (at least 3 characters); a bare entry matches the whole word. Scripts written without
 * spaces (Chinese, Japanese, Korean) and scripts whose words take clitics (Arabic, Hindi) use
 * `SUBSTRINGS`, found anywhere in the text.
 */

export const CLASSES = [
  "IGNORE", "PRIOR", "INSTR", "REVEAL", "SECRET", "SYSTEM", "YOU", "NOW", "NEW", "NEG",
  "LIMIT", "MODE", "DEVJB", "JB", "ROLE", "ETHICS", "MUST", "AI", "SUMM", "ATTN",
  "HARM", "DETAIL", "REFUSE", "DECODE", "COMPLY", "STEALTH", "TOOL", "REVOKE", "INSTEAD",
] as const;
export type WordClass = (typeof CLASSES)[number];

/**
 * Space-separated entries per class, for scripts that separate words with spaces. `a_b` is a
 * two-word phrase (for Vietnamese, whose words are syllables).
 */
export const WORDS: Readonly<Record<WordClass, string>> = {
  IGNORE: `ignor* disregard* forget* forgot* overrid* overrul* bypass* circumvent* neglect* discard* abandon*
    dismiss* supersed*
    ignorier* vergiss vergesse* missacht* übergeh* verwirf* überschreib*
    oubli* néglig* ignorez ignore
    olvid* omit* descart* pasa
    dimentic* tralascia* scorda*
    esqueç* esquec* desconsider*
    negeer* vergeet vergeten
    zignoruj* ignoruj* zapomnij* pomiń* pomin*
    yoksay* görmezden unut* boşver* bỏ_qua phớt_lờ quên_đi atla
    игнорир* проигнорир* забудь* забуд* пренебр* отбрось* отмени*`,
  PRIOR: `previous* prior above earlier preceding initial* original* former existing old before beforehand foregoing
    vorherig* vorig* obig* bisherig* früher* ursprünglich* alten alte
    précédent* antérieur* dessus initiales
    anterior* previa* previo* arriba iniciales
    precedent* sopra iniziali
    acima
    eerder* bovenstaand* oorspronkelijk*
    poprzedni* wcześniejsz* powyższ* wczesniejsz*
    önceki* yukarıdaki* evvelki
    предыдущ* прежн* выше вышеуказ* ранее* исходн* trước_đó ở_trên`,
  INSTR: `instruction* instructed directive* rule rules guideline* prompt prompts command* order orders programming
    constraint* guidance context task restriction* policy policies
    anweisung* anleitung* regel* befehl* vorgabe* richtlinie* aufgabe*
    consigne* règle* directive* commande* tâche*
    instruccion* instrucción* regla* indicacion* indicación* directriz* directrices orden* tarea*
    istruzion* regol* indicazion* direttiv* compito
    instruç* instruc* regra* diretriz* diretrizes comando* tarefa*
    instructie* regels opdracht* richtlijn*
    instrukcj* poleceni* polecen* zasad* reguł* regul* wytyczn* zadani*
    talimat* kural* komut* yönerge* görev*
    инструкц* указани* правил* команд* директив* задани* промпт* hướng_dẫn chỉ_dẫn chỉ_thị`,
  REVEAL: `reveal* print* show* tell output* repeat* display* disclose* leak* dump* share spell recite* verbatim
    write expose* divulg* echo give return
    zeig* verrat* nenn* wiederhol* ausgeb* gib sag
    révèl* revel* affich* montr* répèt* répét* imprim* donne*
    muestr* mostr* dime imprim* repit* escrib* di
    rivel* mostra* dimmi stamp* ripet* scriv*
    diga* repet* escrev*
    onthul* toon laat herhaal* geef noem* zeg
    ujawnij* pokaż* wypisz* powtórz* podaj* napisz* powiedz* wyświetl*
    göster* açıkla* yazdır* tekrarla* söyle* yaz
    покаж* раскрой* раскро* выведи* выдай* повтори* скажи* напиши* сообщи* назови*`,
  SECRET: `password* passwort* passcode* passphrase secret* credential* token* hidden confidential* private
    pin
    geheim* kennwort* schlüssel* zugangscode
    mot secrète passe
    contraseña* contrasena* secreto* clave* oculto*
    segret* chiave* nascost*
    senha* segredo* chave*
    wachtwoord* sleutel*
    hasło* hasla* hasła* tajn* sekret* klucz* ukryt*
    şifre* parola* gizli* anahtar*
    парол* секрет* ключ* скрыт* тайн* mật_khẩu bí_mật`,
  SYSTEM: `system* developer* developers sysprompt pre-prompt preprompt metaprompt initialization configuration config
    entwickler* système* sistema* ontwikkelaar* systeem* sistem* систем* разработчик* programista* geliştirici* desarrollador* sviluppator* desenvolvedor* hệ_thống`,
  YOU: `you your yours yourself you're youre u ur
    du dich dein* dir ihr euch
    tu toi vous ton ta tes votre vos
    tú usted te ti tus
    sei voi tuo tua tue tuoi
    você voce vocês teu tua
    jij je jou jouw u uw
    ty jesteś jestes twój twoj twoje ciebie wy
    sen sana seni senin siz
    ты вы тебя тебе твой твои твоя вас ваш*`,
  NOW: `now henceforth onward onwards hereafter
    jetzt nun sofort fortan ab
    maintenant désormais dorénavant
    ahora adelante
    ora adesso
    agora diante
    nu voortaan
    teraz odtąd odtad
    artık şimdi bundan
    теперь отныне сейчас`,
  NEW: `new updated revised real actual true different
    neu neue neuen neues
    nouvelle nouvelles nouveau nouveaux vraie vrai
    nueva nuevas nuevo nuevos verdadera
    nuova nuove nuovo nuovi vera
    nova novas novo novos verdadeira
    nieuwe echte
    nowe nowa nowy nowych prawdziw*
    yeni gerçek
    нов* настоящ*`,
  NEG: `no not never without none free remove* disable* any
    ohne kein keine keinerlei
    sans aucun aucune pas
    sin ningún ninguna ninguno
    senza nessun nessuna
    sem nenhum nenhuma
    zonder geen
    bez żadnych zadnych żadnych
    olmadan yok hiçbir
    без никаких нет`,
  LIMIT: `restriction* restrict* limit* filter* filtered unfiltered censor* uncensored boundar* guardrail* safeguard*
    moderation constraint* unrestricted unlimited limitless unbound* unchained rules ethics morals
    einschränk* beschränk* zensur* grenzen
    censure restriction* limite* filtre*
    restriccion* restricción* censura* límite* limite* filtro*
    restrizion* limitazion* filtr* limiti
    restriç* restric* limitaç*
    beperking* censuur
    ograniczeń* ogranicze* cenzur* filtr*
    kısıtlama* sınır* sansür* filtre*
    ограничен* цензур* фильтр* запрет*`,
  MODE: `mode modus modo mod режим tryb`,
  DEVJB: `developer dev god dan debug admin sudo root evil unrestricted jailbreak* jailbroken maintenance test
    entwickler* développeur desarrollador sviluppatore desenvolvedor ontwikkelaar programisty geliştirici разработчика`,
  JB: `jailbreak* jailbroken dan unchained amoral unethical immoral uncensored unfiltered anarchy* aim stan dude
    antigpt betterdan devmode opposite evil* nsfw villain* rogue unhinged offensive`,
  ROLE: `pretend* roleplay* role role-play simulat* character* persona* act acting imagine* hypothetical* fictional* fiction
    story scenario game play playing emulat* impersonat*
    spiel* rolle* figur* stell
    personnage* rôle jeu imagin* fais
    personaje* rol juego finge* simula* actúa actua
    personaggio* ruolo gioco fingi* interpreta*
    personagem* papel jogo finja* finge
    rollenspel* personage* doe
    postać* postac* rol* udawaj* odgrywaj* wyobraź*
    rol karakter* oyun* gibi davran*
    роль* персонаж* притвор* представь* игр* сыграй*`,
  ETHICS: `ethic* ethical unethical moral* immoral* legal* illegal* policy policies openai anthropic guideline*
    harmful dangerous offensive explicit consequence* censor* safety safe inappropriate
    ethik* moral* illegal* gesetz*
    éthique* moral* illégal* légal*
    ética* etica* moral* ilegal*
    etica* morale* illegale*
    ética* moral* ilegal*
    ethiek* moreel* illegaal*
    etyk* moraln* nielegal*
    etik* ahlak* yasadışı*
    этик* морал* незакон* закон*`,
  MUST: `must will shall always never obey* comply* required mandatory strictly absolutely cannot
    musst muss immer niemals
    dois doit devez toujours jamais
    debes debe siempre nunca
    devi deve sempre mai
    deve sempre nunca
    moet altijd nooit
    musisz zawsze nigdy
    zorundasın daima asla
    должен должна обязан всегда никогда`,
  AI: `ai assistant* model llm chatbot bot gpt chatgpt claude gemini llama agent* copilot bard
    ki assistent* modell ia asistente assistente modelo modello sztuczna asystent* yapay asistan* ии ассистент* модель бот
    taalmodel* sprachmodell* ki-assistent* chatbot* nlp rag trợ_lý mô_hình`,
  SUMM: `summari* summary translat* process* read* reading pars* analy* review* rewrit* answer* respond* evaluat*
    zusammenfass* résum* resum* riassum* samenvat* podsumuj* özetle* резюм* перевод* übersetz* tradu*`,
  ATTN: `note attention dear hey hello important urgent notice warning reminder message instructions instruction
    hinweis achtung wichtig remarque attention atención aviso nota attenzione atenção opgelet uwaga önemli dikkat
    внимание важно примечание chú_ý ghi_chú lưu_ý`,
  HARM: `bomb* explosiv* weapon* gun guns firearm* meth methamphetamin* cocaine heroin fentanyl drug drugs poison* toxin*
    sarin ricin anthrax bioweapon* nerve malware ransomware keylogger* virus trojan* botnet* ddos exploit* hack* crack*
    phish* scam* fraud* launder* counterfeit* steal* stolen theft shoplift* skimmer* forg* fake kill* murder* assassinat*
    suicide self-harm torture* kidnap* traffick* extort* blackmail* stalk* dox* terror* extremis* nazi* racis* slur* harass*
    lethal deadly untraceable undetect* bypass* evade* evasion
    bombe* sprengstoff* waffe* droge* gift giftig* betrug* geldwäsche* töten stehlen
    explosif* arme armes drogue* poison* piratage arnaque* fraude* blanchi* tuer voler
    bomba* explosiv* arma armas droga* veneno* estafa* lavado matar robar
    esplosiv* veleno* truffa* frode* riciclaggio uccidere rubare
    golpe lavagem roubar
    bom bommen explosie* wapen* vergif* oplichting* witwas* doden stelen
    broń broni narkotyk* trucizn* oszustw* prani* zabić ukraść
    patlayıcı* silah* uyuşturucu* zehir* dolandırıcılık* öldür*
    бомб* взрывчат* оруж* наркот* яд отрав* мошеннич* отмыв* убить украсть взлом*`,
  DETAIL: `step steps step-by-step detailed detail* exact exactly precise* specific* complete* thorough* comprehensive*
    realistic* accurate* quantit* ingredient* materials full entirety actionable working functional verbatim
    schritt* genau* detailliert* vollständig* étape* précis* détaillé* exact* complet* paso* detallad* exact* precis*
    passo* dettagli* esatt* detalhad* exat* stap* gedetailleerd* precies volledig* krok* szczegół* dokładn* precyzyj*
    adım* ayrıntılı* detaylı* kesin* шаг* подробн* точн* детальн*`,
  REFUSE: `refus* disclaim* warning* warn* caveat* moraliz* moralis* lectur* judg* apolog* sorry hesitat* censor*
    ablehn* warnung* urteil* avertissement* jug* rechaz* advertencia* juzg* rifiut* avvertiment* giudic*
    recus* aviso* julg* weiger* waarschuw* oordeel* odmów* odmaw* ostrzeż* reddet* uyarı* yargıla* отказ* предупрежд* осужд*`,
  DECODE: `decod* decrypt* decipher* revers* rot13 base64 hex cipher* unscrambl* concatenat* deobfuscat* backwards
    dekodier* entschlüssel* décod* déchiffr* decodific* descifr* invert* decifr* decodeer* ontcijfer* odszyfruj* dekoduj*
    çöz* расшифр* декодир*`,
  COMPLY: `comply* obey* follow* execut* answer* respond* carry perform* fulfil* fulfill* act do
    befolg* ausführ* beantwort* obéi* exécut* répond* obedec* ejecut* respond* esegu* rispond* obedeç* execut*
    uitvoer* beantwoord* wykonaj* odpowiedz* uygula* cevapla* выполни* ответь* подчин*`,
  STEALTH: `silent* secret* quiet* covert* unnotic* mention* tell inform* notify* confirm* ask asking alert* hint
    erwähne* bestätig* frag mentionne* confirm* demande* menciones pregunt* menzion* conferm* chiedere mencion*
    pergunt* vermeld* bevestig* vraag wspominaj* potwierdz* pytaj* bahsetme* onay* sorma* упомин* подтвержд* спрашив*`,
  TOOL: `tool* function* api browser* http https url link* image* email* e-mail mail* send* forward* upload* export* webhook*
    curl fetch* invoke* call* endpoint* exfiltrat* transfer* attach*
    werkzeug* rufe aufrufen outil* appel* herramienta* llam* strument* chiam* ferramenta* cham* narzędzi* wywołaj*
    araç* çağır* инструмент* вызови* отправ*`,
  // "Your instructions are void / no longer apply": an override without a verb of disregarding.
  REVOKE: `cancel* revok* void invalid* suspend* lifted obsolete* nullified superseded expired rescind* annul* deactivat* waived
    aufgehob* ungültig* widerruf* außer_kraft
    annul* révoqu* suspendu* caduque* levée* levées
    anulad* revocad* suspendid* inválid* invalid* cancelad*
    annullat* revocat* sospes* decadut* valgono
    revogad* suspens* cancelad*
    ingetrokken vervallen ongeldig opgeheven
    anulowan* unieważni* zawieszon* nieważn* odwołan*
    iptal geçersiz askıya kaldırıldı
    отменен* отменён* аннулир* недействит* приостановл* утратил* hủy_bỏ vô_hiệu`,
  // "Instead of summarising, ...": the usual shape of a hijacked task.
  INSTEAD: `instead rather
    stattdessen statt anstatt
    plutôt lieu
    lugar vez
    invece anziché
    invés
    plaats
    zamiast
    yerine
    вместо thay_vì`,
};

/** Substrings for scripts without spaces between words, or with attached particles. */
export const SUBSTRINGS: Readonly<Partial<Record<WordClass, string>>> = {
  IGNORE: `忽略 忽视 无视 忘记 忘掉 不要理会 無視 忘れ 無效 무시 잊어 잊고 تجاهل تتجاهل انسى تخطى अनदेखा नज़रअंदाज़ नजरअंदाज भूल`,
  PRIOR: `之前 以前 以上 上面 先前 原来 上記 これまで 以前の 前の 이전 위의 앞의 기존 السابقة السابق أعلاه الأصلية पिछले पिछली पहले ऊपर`,
  INSTR: `指令 指示 规则 規則 提示词 命令 ルール プロンプト 지시 지침 명령 규칙 프롬프트 التعليمات تعليمات الأوامر القواعد निर्देश नियम आदेश`,
  REVEAL: `显示 輸出 输出 告诉我 打印 重复 透露 泄露 表示 出力 教えて 繰り返 보여 출력 알려 반복 공개 اكشف أظهر اطبع أخبرني اعرض बताओ बताएं दिखाओ प्रकट दोहराओ`,
  SECRET: `密码 密碼 秘密 密钥 パスワード 秘密 비밀번호 암호 비밀 كلمة المرور السر سري पासवर्ड गुप्त`,
  SYSTEM: `系统 系統 システム 开发者 開発者 시스템 개발자 النظام المطور सिस्टम डेवलपर`,
  YOU: `你 您 あなた 君 너는 당신 أنت तुम आप`,
  NOW: `现在 從現在 从现在 今から これから 이제 지금부터 الآن अब`,
  NEW: `新的 新しい 새로운 جديدة जदीद नए नई`,
  NEG: `没有 不受 无任何 なし 없는 없이 بدون بلا बिना`,
  LIMIT: `限制 审查 过滤 制限 検閲 フィルター 제한 검열 필터 قيود رقابة प्रतिबंध सेंसर`,
  MODE: `模式 モード 모드 وضع मोड`,
  JB: `越狱 越獄 脱獄 탈옥 كسر الحماية जेलब्रेक`,
  ROLE: `扮演 角色 假装 役割 演じ ふり 역할 연기 척 دور تظاهر भूमिका अभिनय`,
  ETHICS: `道德 伦理 倫理 违法 違法 윤리 불법 الأخلاق أخلاقي غير قانوني नैतिक अवैध`,
  AI: `人工智能 助手 模型 アシスタント モデル 어시스턴트 모델 الذكاء المساعد النموذج सहायक मॉडल`,
  SUMM: `总结 摘要 翻译 要約 翻訳 요약 번역 تلخيص ترجمة सारांश अनुवाद`,
  ATTN: `注意 重要 주의 중요 ملاحظة تنبيه ध्यान महत्वपूर्ण`,
  HARM: `炸弹 爆炸物 武器 毒品 冰毒 毒药 黑客 诈骗 洗钱 勒索软件 恶意软件 钓鱼 杀人 爆弾 爆発物 麻薬 覚醒剤 毒物 ハッキング 詐欺 マルウェア ランサムウェア
    폭탄 폭발물 무기 마약 해킹 사기 랜섬웨어 악성코드 قنبلة متفجرات سلاح مخدرات اختراق احتيال غسيل فدية बम विस्फोटक हथियार ड्रग्स ज़हर जहर हैक धोखाधड़ी`,
  DETAIL: `步骤 一步一步 详细 精确 具体 手順 詳細 正確 단계 자세 정확 خطوة بالتفصيل دقيق चरण विस्तार सटीक`,
  REFUSE: `拒绝 警告 拒否 거절 경고 رفض تحذير इनकार चेतावनी`,
  DECODE: `解码 解密 デコード 復号 디코딩 해독 فك تشفير डिकोड`,
  STEALTH: `不要提及 不要告诉 悄悄 言及しない 黙って 언급하지 몰래 لا تذكر سرا मत बताना चुपके`,
  TOOL: `工具 调用 ツール 呼び出 도구 호출 أداة استدعاء टूल`,
  REVOKE: `作废 无效 失效 取消 廃止 無効 취소 무효 폐지 ملغاة ملغى إلغاء रद्द अमान्य`,
  INSTEAD: `而是 代わりに 대신 بدلا بدلاً बजाय`,
};

/** Two classes within `distance` words of each other, in either order: one dense feature each. */
export const PAIRS: readonly (readonly [WordClass, WordClass, number])[] = [
  ["IGNORE", "INSTR", 6],
  ["IGNORE", "PRIOR", 4],
  ["PRIOR", "INSTR", 3],
  ["REVEAL", "SECRET", 5],
  ["REVEAL", "SYSTEM", 5],
  ["REVEAL", "INSTR", 5],
  ["SYSTEM", "INSTR", 2],
  ["YOU", "NOW", 3],
  ["NEW", "INSTR", 2],
  ["NEG", "LIMIT", 3],
  ["MODE", "DEVJB", 2],
  ["YOU", "SUMM", 3],
  ["ATTN", "AI", 3],
  ["AI", "IGNORE", 5],
  ["ROLE", "JB", 6],
  ["NEG", "ETHICS", 4],
  ["ROLE", "HARM", 12],
  ["HARM", "DETAIL", 10],
  ["NEG", "REFUSE", 4],
  ["DECODE", "COMPLY", 8],
  ["NEG", "STEALTH", 3],
  ["AI", "TOOL", 10],
  ["ATTN", "IGNORE", 6],
  ["INSTR", "REVOKE", 6],
  ["INSTEAD", "SUMM", 4],
];

/**
 * Three classes within `distance` words, one from each group: the whole phrase of an
 * override ("ignore | your, previous, system | instructions") or of a prompt extraction
 * ("print | your, system | prompt, password"). Each half alone is common in benign text
 * ("ignore the typos", "previous question", "print the rules of chess"); the three together are not.
 */
export const TRIPLES: readonly (readonly [WordClass, readonly WordClass[], readonly WordClass[], number])[] = [
  ["IGNORE", ["PRIOR", "YOU", "SYSTEM"], ["INSTR"], 6],
  ["REVEAL", ["YOU", "SYSTEM", "PRIOR"], ["INSTR", "SECRET"], 6],
];
