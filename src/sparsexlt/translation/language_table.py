"""The language-code table, as data: NLLB-200 codes, their names and the codes people write.

Facts, written down once: the 202 language codes of NLLB-200's vocabulary (the FLORES-200 list,
except that Santali is `sat_Beng` in the model, `sat_Olck` in FLORES — both are accepted — and
FLORES's `min_Arab` has no code in the released models, so it is listed as unsupported), each
with an English name and its aliases (ISO 639-1, ISO 639-2/3 including macrolanguage codes,
and the names datasets use for directories). Then the languages we know that NLLB-200 lacks,
with the code an adapted model would add for them (see `translation.adapt`).

Format of `NLLB_TABLE`: one language a line, `code<TAB>name<TAB>alias, alias, …`.
An alias belongs to one code only; script variants (`ace_Arab`) carry no bare ISO alias, so
`ace` resolves to the script the datasets use (`ace_Latn`).
"""

from __future__ import annotations

NLLB_TABLE = """\
ace_Arab	Acehnese (Arabic script)
ace_Latn	Acehnese	ace, acehnese, aceh
acm_Arab	Mesopotamian Arabic	acm
acq_Arab	Ta'izzi-Adeni Arabic	acq
aeb_Arab	Tunisian Arabic	aeb
afr_Latn	Afrikaans	af, afr
ajp_Arab	South Levantine Arabic	ajp
aka_Latn	Akan	ak, aka
als_Latn	Tosk Albanian	sq, sqi, alb, als, albanian
amh_Ethi	Amharic	am, amh
apc_Arab	North Levantine Arabic	apc
arb_Arab	Modern Standard Arabic	ar, ara, arb, arabic
ars_Arab	Najdi Arabic	ars
ary_Arab	Moroccan Arabic	ary
arz_Arab	Egyptian Arabic	arz
asm_Beng	Assamese	as, asm
ast_Latn	Asturian	ast
awa_Deva	Awadhi	awa
ayr_Latn	Central Aymara	ay, aym, ayr, aymara
azb_Arab	South Azerbaijani	azb
azj_Latn	North Azerbaijani	az, aze, azj, azerbaijani
bak_Cyrl	Bashkir	ba, bak
bam_Latn	Bambara	bm, bam
ban_Latn	Balinese	ban, bali
bel_Cyrl	Belarusian	be, bel
bem_Latn	Bemba	bem
ben_Beng	Bengali	bn, ben, bangla
bho_Deva	Bhojpuri	bho
bjn_Arab	Banjar (Arabic script)
bjn_Latn	Banjar	bjn, banjar, banjarese
bod_Tibt	Standard Tibetan	bo, bod, tib, tibetan
bos_Latn	Bosnian	bs, bos
bug_Latn	Buginese	bug, bugis
bul_Cyrl	Bulgarian	bg, bul
cat_Latn	Catalan	ca, cat
ceb_Latn	Cebuano	ceb
ces_Latn	Czech	cs, ces, cze
cjk_Latn	Chokwe	cjk
ckb_Arab	Central Kurdish	ckb, sorani
crh_Latn	Crimean Tatar	crh
cym_Latn	Welsh	cy, cym, wel
dan_Latn	Danish	da, dan
deu_Latn	German	de, deu, ger
dik_Latn	Southwestern Dinka	dik, din, dinka
dyu_Latn	Dyula	dyu
dzo_Tibt	Dzongkha	dz, dzo
ell_Grek	Greek	el, ell, gre
eng_Latn	English	en, eng
epo_Latn	Esperanto	eo, epo
est_Latn	Estonian	et, est, ekk
eus_Latn	Basque	eu, eus, baq
ewe_Latn	Ewe	ee, ewe
fao_Latn	Faroese	fo, fao
fij_Latn	Fijian	fj, fij
fin_Latn	Finnish	fi, fin
fon_Latn	Fon	fon
fra_Latn	French	fr, fra, fre
fur_Latn	Friulian	fur
fuv_Latn	Nigerian Fulfulde	ff, ful, fuv, fulfulde, fula
gaz_Latn	West Central Oromo	om, orm, gaz, oromo
gla_Latn	Scottish Gaelic	gd, gla
gle_Latn	Irish	ga, gle
glg_Latn	Galician	gl, glg
grn_Latn	Guarani	gn, grn, gug, guarani
guj_Gujr	Gujarati	gu, guj
hat_Latn	Haitian Creole	ht, hat, haitian
hau_Latn	Hausa	ha, hau
heb_Hebr	Hebrew	he, heb, iw
hin_Deva	Hindi	hi, hin
hne_Deva	Chhattisgarhi	hne
hrv_Latn	Croatian	hr, hrv
hun_Latn	Hungarian	hu, hun
hye_Armn	Armenian	hy, hye, arm
ibo_Latn	Igbo	ig, ibo
ilo_Latn	Ilocano	ilo, ilokano
ind_Latn	Indonesian	id, ind, bahasa indonesia
isl_Latn	Icelandic	is, isl, ice
ita_Latn	Italian	it, ita
jav_Latn	Javanese	jv, jav, jawa
jpn_Jpan	Japanese	ja, jpn
kab_Latn	Kabyle	kab
kac_Latn	Jingpho	kac, kachin
kam_Latn	Kamba	kam
kan_Knda	Kannada	kn, kan
kas_Arab	Kashmiri (Arabic script)	ks, kas, kashmiri
kas_Deva	Kashmiri (Devanagari script)
kat_Geor	Georgian	ka, kat, geo
kaz_Cyrl	Kazakh	kk, kaz
kbp_Latn	Kabiye	kbp
kea_Latn	Kabuverdianu	kea, cape verdean creole
khk_Cyrl	Halh Mongolian	mn, mon, khk, mongolian
khm_Khmr	Khmer	km, khm
kik_Latn	Kikuyu	ki, kik, gikuyu
kin_Latn	Kinyarwanda	rw, kin
kir_Cyrl	Kyrgyz	ky, kir, kirghiz
kmb_Latn	Kimbundu	kmb
kmr_Latn	Northern Kurdish	ku, kur, kmr, kurmanji, kurdish
knc_Arab	Central Kanuri (Arabic script)
knc_Latn	Central Kanuri	kr, kau, knc, kanuri
kon_Latn	Kikongo	kg, kon, kongo
kor_Hang	Korean	ko, kor
lao_Laoo	Lao	lo, lao
lij_Latn	Ligurian	lij
lim_Latn	Limburgish	li, lim
lin_Latn	Lingala	ln, lin
lit_Latn	Lithuanian	lt, lit
lmo_Latn	Lombard	lmo
ltg_Latn	Latgalian	ltg
ltz_Latn	Luxembourgish	lb, ltz
lua_Latn	Luba-Kasai	lua, tshiluba
lug_Latn	Ganda	lg, lug, luganda
luo_Latn	Luo	luo, dholuo
lus_Latn	Mizo	lus
lvs_Latn	Standard Latvian	lv, lav, lvs, latvian
mag_Deva	Magahi	mag
mai_Deva	Maithili	mai
mal_Mlym	Malayalam	ml, mal
mar_Deva	Marathi	mr, mar
min_Latn	Minangkabau	min, minang
mkd_Cyrl	Macedonian	mk, mkd, mac
mlt_Latn	Maltese	mt, mlt
mni_Beng	Meitei (Bengali script)	mni, manipuri, meitei
mos_Latn	Mossi	mos, moore
mri_Latn	Maori	mi, mri, mao
mya_Mymr	Burmese	my, mya, bur, myanmar
nld_Latn	Dutch	nl, nld, dut, flemish
nno_Latn	Norwegian Nynorsk	nn, nno, nynorsk
nob_Latn	Norwegian Bokmal	nb, nob, no, nor, norwegian, bokmal
npi_Deva	Nepali	ne, nep, npi
nso_Latn	Northern Sotho	nso, sepedi, pedi
nus_Latn	Nuer	nus
nya_Latn	Nyanja	ny, nya, chichewa, chewa
oci_Latn	Occitan	oc, oci
ory_Orya	Odia	or, ori, ory, oriya
pag_Latn	Pangasinan	pag
pan_Guru	Eastern Panjabi	pa, pan, punjabi, panjabi
pap_Latn	Papiamento	pap
pbt_Arab	Southern Pashto	ps, pus, pbt, pashto
pes_Arab	Western Persian	fa, fas, per, pes, persian, farsi
plt_Latn	Plateau Malagasy	mg, mlg, plt, malagasy
pol_Latn	Polish	pl, pol
por_Latn	Portuguese	pt, por
prs_Arab	Dari	prs
quy_Latn	Ayacucho Quechua	qu, que, quy, quechua
ron_Latn	Romanian	ro, ron, rum, moldovan
run_Latn	Rundi	rn, run, kirundi
rus_Cyrl	Russian	ru, rus
sag_Latn	Sango	sg, sag
san_Deva	Sanskrit	sa, san
sat_Beng	Santali	sat, sat_olck, santhali
scn_Latn	Sicilian	scn
shn_Mymr	Shan	shn
sin_Sinh	Sinhala	si, sin, sinhalese
slk_Latn	Slovak	sk, slk, slo
slv_Latn	Slovenian	sl, slv, slovene
smo_Latn	Samoan	sm, smo
sna_Latn	Shona	sn, sna
snd_Arab	Sindhi	sd, snd
som_Latn	Somali	so, som
sot_Latn	Southern Sotho	st, sot, sesotho
spa_Latn	Spanish	es, spa, castilian
srd_Latn	Sardinian	sc, srd
srp_Cyrl	Serbian	sr, srp
ssw_Latn	Swati	ss, ssw, swazi
sun_Latn	Sundanese	su, sun, sunda
swe_Latn	Swedish	sv, swe
swh_Latn	Swahili	sw, swa, swh, kiswahili
szl_Latn	Silesian	szl
tam_Taml	Tamil	ta, tam
taq_Latn	Tamasheq (Latin script)	taq, tamasheq
taq_Tfng	Tamasheq (Tifinagh script)
tat_Cyrl	Tatar	tt, tat
tel_Telu	Telugu	te, tel
tgk_Cyrl	Tajik	tg, tgk
tgl_Latn	Tagalog	tl, tgl, fil, filipino
tha_Thai	Thai	th, tha
tir_Ethi	Tigrinya	ti, tir
tpi_Latn	Tok Pisin	tpi
tsn_Latn	Tswana	tn, tsn, setswana
tso_Latn	Tsonga	ts, tso
tuk_Latn	Turkmen	tk, tuk
tum_Latn	Tumbuka	tum
tur_Latn	Turkish	tr, tur
twi_Latn	Twi	tw, twi
tzm_Tfng	Central Atlas Tamazight	tzm
uig_Arab	Uyghur	ug, uig, uighur
ukr_Cyrl	Ukrainian	uk, ukr
umb_Latn	Umbundu	umb
urd_Arab	Urdu	ur, urd
uzn_Latn	Northern Uzbek	uz, uzb, uzn, uzbek
vec_Latn	Venetian	vec
vie_Latn	Vietnamese	vi, vie
war_Latn	Waray	war, waray-waray
wol_Latn	Wolof	wo, wol
xho_Latn	Xhosa	xh, xho, isixhosa
ydd_Hebr	Eastern Yiddish	yi, yid, ydd, yiddish
yor_Latn	Yoruba	yo, yor
yue_Hant	Yue Chinese	yue, cantonese
zho_Hans	Chinese (Simplified)	zh, zho, chi, chinese, mandarin
zho_Hant	Chinese (Traditional)	zh_tw, zh_hant
zsm_Latn	Standard Malay	ms, msa, may, zsm, malay
zul_Latn	Zulu	zu, zul, isizulu
"""

# Languages (or scripts) we know that NLLB-200 lacks: `iso<TAB>name<TAB>code an adapted model adds<TAB>aliases`.
UNSUPPORTED_TABLE = """\
mad	Madurese	mad_Latn	madurese, madura
nij	Ngaju	nij_Latn	ngaju, ngaju dayak
bbc	Toba Batak	bbc_Latn	toba_batak, batak toba, batak_toba
bzd	Bribri	bzd_Latn	bribri
cni	Ashaninka	cni_Latn	ashaninka
hch	Wixarika	hch_Latn	wixarika, huichol
nah	Nahuatl	nah_Latn	nahuatl, nhe
oto	Otomi	oto_Latn	otomi, hnahnu, ote
shp	Shipibo-Konibo	shp_Latn	shipibo-konibo, shipibo
tar	Raramuri	tar_Latn	raramuri, tarahumara
pcm	Nigerian Pidgin	pcm_Latn	naija, nigerian pidgin
hsb	Upper Sorbian	hsb_Latn	upper sorbian
bxr	Buryat	bxr_Cyrl	buryat, buriat, russia buriat
min_Arab	Minangkabau (Arabic script)	min_Arab	minangkabau arabic
"""
