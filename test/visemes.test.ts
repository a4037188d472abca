import { describe, expect, it } from 'vitest';
import { EspeakTts, VOICES } from '../src/modules/live/speech/espeak.tts.js';
import { visemesFromPhonemes, visemesFromWords, visemesOfPhoneme } from '../src/modules/live/speech/visemes.js';

/**
 * A sample per shipped voice language, with the sounds of the language (pangrams where
 * there are some): every phoneme eSpeak-NG says for it must have a viseme.
 */
const SAMPLES: Record<string, string> = {
  en: 'The quick brown fox jumps over the lazy dog. She sells sea shells; judge the yacht, thank you, vision, church, sing, boy, cow, high, air, ear, tour, bird, about.',
  'en-us': 'Pack my box with five dozen liquor jugs. Thought, this, measure, church, judge, sing, hello, boy, cow, high, air, ear, pure, water, car.',
  'en-gb': 'The quick brown fox jumps over the lazy dog. Thought, this, vision, church, judge, sing, hello, boy, cow, high, air, ear, tour, bird, about, water, car.',
  es: 'El veloz murciélago hindú comía feliz cardillo y kiwi. La cigüeña tocaba el saxofón detrás del palenque de paja. Perro, pero, año, llave, chico, guerra, hoy.',
  fr: 'Portez ce vieux whisky au juge blond qui fume. Un bon vin blanc, le chien, la nuit, oui, huit, gens, rue, peu, peur, fille, champagne, œuf.',
  de: 'Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich. Ich, ach, Pfeife, schön, Bücher, Häuser, Eule, Mädchen, Straße, rot.',
  it: 'Quel vituperabile xenofobo zelante assaggia il whisky ed esclama: alleluja! Gnocchi, figlio, sciare, pizza, zero, ciao, gelato.',
  pt: 'Luís argüia à Júlia que brações, fé, chá, óxido, pôr, zângão eram palavras do português. Lhama, ninho, cão, mãe, pão.',
  'pt-br': 'Um pequeno jabuti xereta viu dez cegonhas felizes. Coração, mãe, pão, lhama, ninho, tia, dia, rato, carro.',
  nl: 'Pa’s wijze lynx bezag vroom het fikse aquaduct. Schip, goed, huis, uit, ui, eeuw, deur, zeggen, vrij.',
  pl: 'Pchnąć w tę łódź jeża lub ośm skrzyń fig. Źdźbło, cześć, rzeka, szczęście, dziękuję, żaba, chleb.',
  ru: 'Съешь же ещё этих мягких французских булок, да выпей чаю. Щука, жизнь, цирк, юбка, ёлка, вход, гость.',
  tr: 'Pijamalı hasta yağız şoföre çabucak güvendi. Ağaç, ılık, göz, üzüm, jeton, çay, kız.',
  ja: 'いろはにほへと ちりぬるを わかよたれそ つねならむ。こんにちは、ありがとう、すみません、東京、富士山、ぎゅうにゅう、ちょっと、じゃあ。',
  zh: '我能吞下玻璃而不伤身体。你好世界，谢谢，中国，北京，吃饭，日本，绿色，学生，女人，去，热。',
  ko: '다람쥐 헌 쳇바퀴에 타고파. 안녕하세요, 감사합니다, 학교, 빨리, 짜다, 꽃, 읽다, 없어요.',
  vi: 'Tôi có thể ăn thủy tinh mà không hại gì. Xin chào, cảm ơn, người, nước, phở, nghĩ, trường, giữ, khỏe.',
};

const tts = new EspeakTts();
/** The visemes of a text without the pauses: what the mouth does. */
const shapes = async (text: string, language: string) => {
  const s = await tts.synthesize(text, { language });
  return visemesFromPhonemes(s.phonemes!, s.durationMs)
    .map((v) => v.viseme)
    .filter((v) => v !== 'sil');
};

describe('visemes from eSpeak-NG phonemes', () => {
  it('has a sample for every shipped voice language', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(Object.keys(VOICES).sort());
  });

  for (const [language, text] of Object.entries(SAMPLES)) {
    it(`knows every phoneme of ${language}, with timings in order inside the audio`, async () => {
      const s = await tts.synthesize(text, { language });
      expect(s.phonemes!.length).toBeGreaterThan(20);
      const unknown = [...new Set(s.phonemes!.map((p) => p.phoneme))].filter((p) => visemesOfPhoneme(p) === null);
      expect(unknown, `phonemes of ${language} without a viseme`).toEqual([]);
      const v = visemesFromPhonemes(s.phonemes!, s.durationMs);
      const offsets = v.map((x) => x.offset_ms);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      expect(offsets.every((o) => o >= 0 && o <= s.durationMs)).toBe(true);
      expect(v.at(-1)!.viseme).toBe('sil');
      // Several shapes, never one repeated (repeats are merged).
      expect(new Set(v.map((x) => x.viseme)).size).toBeGreaterThan(5);
      expect(v.every((x, i) => i === 0 || x.viseme !== v[i - 1]!.viseme)).toBe(true);
    });
  }

  it('follows the sounds of scripts without Latin letters, where the first letter of a word said nothing', async () => {
    expect((await shapes('Да', 'ru'))[0]).toBe('DD');
    expect((await shapes('Мама', 'ru'))[0]).toBe('PP');
    expect((await shapes('Шар', 'ru'))[0]).toBe('CH');
    expect((await shapes('かさ', 'ja'))).toEqual(['kk', 'aa', 'SS', 'aa']);
    expect((await shapes('你', 'zh'))[0]).toBe('nn');
    expect((await shapes('Bob', 'en'))).toEqual(['PP', 'aa', 'PP']);
    expect((await shapes('five', 'en'))).toEqual(['FF', 'aa', 'I', 'FF']);
  });

  it('never closes the lips on words without a Latin letter in the per-word approximation (other speech engines)', () => {
    const v = visemesFromWords([{ word: 'Привет', offsetMs: 0 }, { word: '你好', offsetMs: 300 }, { word: 'mama', offsetMs: 600 }], 900);
    expect(v.map((x) => x.viseme)).toEqual(['DD', 'DD', 'PP', 'sil']);
  });
});
