import type { ModuleContent } from '../types.js';

export const module: ModuleContent = {
  slug: 'a2-past-simple',
  version: 1,
  title: 'The past simple: regular and irregular verbs',
  description:
    'You will be able to talk about finished past events using regular and irregular verbs in positive sentences, negatives and questions.',
  level: 'A2',
  skill: 'grammar',
  estimatedMinutes: 20,
  tasks: [
    {
      key: 't1',
      type: 'fill_blank',
      prompt: 'Write the past simple of the verb in brackets: Yesterday I ___ (walk) to school.',
      answers: ['walked'],
      explanation: 'Regular verbs add -ed in the past simple: walk → walked.',
    },
    {
      key: 't2',
      type: 'multiple_choice',
      prompt: 'Last summer we ___ to Italy.',
      options: [
        { id: 'a', text: 'goed' },
        { id: 'b', text: 'went' },
        { id: 'c', text: 'gone' },
        { id: 'd', text: 'go' },
      ],
      answer: 'b',
      explanation: 'Go is irregular: go → went. Gone is the past participle and needs have (we have gone).',
    },
    {
      key: 't3',
      type: 'fill_blank',
      prompt: 'Write the past simple of the verb in brackets: She ___ (buy) a new phone last week.',
      answers: ['bought'],
      explanation: 'Buy is irregular: buy → bought. Irregular past forms must be learned one by one.',
    },
    {
      key: 't4',
      type: 'fill_blank',
      prompt: 'Write the past simple of the verb in brackets: They ___ (stop) the car and looked at the map.',
      answers: ['stopped'],
      explanation:
        'Short verbs that end in one vowel + one consonant double the consonant before -ed: stop → stopped.',
    },
    {
      key: 't5',
      type: 'fill_blank',
      prompt: 'Write the past simple of the verb in brackets: He ___ (study) English for two hours yesterday evening.',
      answers: ['studied'],
      explanation: 'When a verb ends in a consonant + y, change the y to i and add -ed: study → studied.',
    },
    {
      key: 't6',
      type: 'multiple_choice',
      prompt: 'I ___ the film last night because I was tired.',
      options: [
        { id: 'a', text: "didn't watched" },
        { id: 'b', text: "didn't watch" },
        { id: 'c', text: 'not watched' },
        { id: 'd', text: "don't watched" },
      ],
      answer: 'b',
      explanation: "Negatives in the past simple use didn't + the base form of the verb: didn't watch, not didn't watched.",
    },
    {
      key: 't7',
      type: 'multiple_choice',
      prompt: '___ you see Sarah at the party on Saturday?',
      options: [
        { id: 'a', text: 'Did' },
        { id: 'b', text: 'Do' },
        { id: 'c', text: 'Were' },
      ],
      answer: 'a',
      explanation: 'Questions in the past simple use Did + subject + base form: Did you see...?',
    },
    {
      key: 't8',
      type: 'ordering',
      prompt: 'Put the words in the correct order to make a question.',
      items: ['go', 'did', 'last', 'Where', 'you', 'weekend?'],
      answer: 'Where did you go last weekend?',
      explanation: 'A past simple question with a question word follows this order: Where + did + you + go + the rest.',
    },
    {
      key: 't9',
      type: 'multiple_choice',
      prompt: 'Which of these past simple forms is irregular?',
      options: [
        { id: 'a', text: 'played' },
        { id: 'b', text: 'wrote' },
        { id: 'c', text: 'wanted' },
        { id: 'd', text: 'cleaned' },
      ],
      answer: 'b',
      explanation: 'Wrote (from write) does not end in -ed, so it is irregular. Played, wanted and cleaned are regular.',
    },
  ],
};
