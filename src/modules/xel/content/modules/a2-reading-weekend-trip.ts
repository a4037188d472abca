import type { ModuleContent } from '../types.js';

const PASSAGE = `A Weekend in Edinburgh

Last October, Maya and her younger brother Sam spent a long weekend in Edinburgh. They took the train from London on Friday morning. The journey took four and a half hours. Maya read a book, but Sam slept most of the way. They stayed in a small hotel near the castle.

On Saturday, it rained all morning, so they went to a museum. It was free, and Sam loved the room with old toys and games. In the afternoon, the sun came out and they climbed Arthur's Seat, a big hill in the middle of the city. The view from the top was beautiful, but the wind was very cold, so they didn't stay long.

On Sunday, they took a bus tour of the city. Maya wanted a present for her mum, so they went to a market and she bought a blue scarf. In the evening, they ate fish and chips by the sea in Leith.

On Monday, they took the train home. "That was too short," said Sam. Maya agreed, and they decided to come back next summer.`;

export const module: ModuleContent = {
  slug: 'a2-reading-weekend-trip',
  version: 1,
  title: 'Reading: a weekend in Edinburgh',
  description:
    'You will be able to understand a short story about a trip and find key information about travel, places, reasons and feelings.',
  level: 'A2',
  skill: 'reading',
  estimatedMinutes: 20,
  tasks: [
    {
      key: 't1',
      type: 'multiple_choice',
      prompt: 'How did Maya and Sam travel to Edinburgh?',
      passage: PASSAGE,
      options: [
        { id: 'a', text: 'By plane' },
        { id: 'b', text: 'By train' },
        { id: 'c', text: 'By bus' },
        { id: 'd', text: 'By car' },
      ],
      answer: 'b',
      explanation: 'The text says "They took the train from London on Friday morning." The bus was only for the city tour.',
    },
    {
      key: 't2',
      type: 'fill_blank',
      prompt: 'The journey from London took four and a half ___.',
      passage: PASSAGE,
      answers: ['hours'],
      explanation: 'The first paragraph says "The journey took four and a half hours."',
    },
    {
      key: 't3',
      type: 'multiple_choice',
      prompt: 'Why did they go to a museum on Saturday morning?',
      passage: PASSAGE,
      options: [
        { id: 'a', text: 'Because it was free.' },
        { id: 'b', text: 'Because it was raining.' },
        { id: 'c', text: 'Because Sam wanted to see old toys.' },
        { id: 'd', text: 'Because it was near their hotel.' },
      ],
      answer: 'b',
      explanation:
        'The text says "it rained all morning, so they went to a museum". The word so shows the reason. The museum was free, but that was not why they went.',
    },
    {
      key: 't4',
      type: 'multiple_choice',
      prompt: "Why didn't they stay long at the top of Arthur's Seat?",
      passage: PASSAGE,
      options: [
        { id: 'a', text: "The view wasn't very good." },
        { id: 'b', text: 'It was raining.' },
        { id: 'c', text: 'The wind was very cold.' },
        { id: 'd', text: 'They wanted to go to the market.' },
      ],
      answer: 'c',
      explanation:
        'The text says "the wind was very cold, so they didn\'t stay long". The view was beautiful, and the rain was in the morning.',
    },
    {
      key: 't5',
      type: 'fill_blank',
      prompt: 'At the market, Maya bought a blue ___ for her mum.',
      passage: PASSAGE,
      answers: ['scarf'],
      explanation: 'In the third paragraph, Maya wanted a present for her mum and "she bought a blue scarf".',
    },
    {
      key: 't6',
      type: 'multiple_choice',
      prompt: 'Where did they eat fish and chips?',
      passage: PASSAGE,
      options: [
        { id: 'a', text: 'In their hotel' },
        { id: 'b', text: 'Near the castle' },
        { id: 'c', text: 'By the sea' },
        { id: 'd', text: 'At the market' },
      ],
      answer: 'c',
      explanation: 'The text says "they ate fish and chips by the sea in Leith". Their hotel was near the castle.',
    },
    {
      key: 't7',
      type: 'multiple_choice',
      prompt: 'Who is older, Maya or Sam?',
      passage: PASSAGE,
      options: [
        { id: 'a', text: 'Maya' },
        { id: 'b', text: 'Sam' },
        { id: 'c', text: 'The text does not say.' },
      ],
      answer: 'a',
      explanation: 'The text calls Sam "her younger brother", so Maya is older than Sam.',
    },
    {
      key: 't8',
      type: 'multiple_choice',
      prompt: 'How did Sam feel about the trip?',
      passage: PASSAGE,
      options: [
        { id: 'a', text: 'He thought it was too long.' },
        { id: 'b', text: 'He wanted more time in Edinburgh.' },
        { id: 'c', text: "He didn't like Edinburgh." },
        { id: 'd', text: 'He was happy to go home.' },
      ],
      answer: 'b',
      explanation:
        'Sam said "That was too short", and they decided to come back next summer, so he wanted more time there.',
    },
  ],
};
