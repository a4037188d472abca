import type { ModuleContent } from '../types.js';

export const module: ModuleContent = {
  slug: 'a1-be-and-have',
  version: 1,
  title: 'Be, have and articles',
  description:
    'You will be able to use am, is, are and have/has in simple present sentences and choose a, an or the correctly.',
  level: 'A1',
  skill: 'grammar',
  estimatedMinutes: 15,
  tasks: [
    {
      key: 't1',
      type: 'multiple_choice',
      prompt: 'Choose the correct word: I ___ a student.',
      options: [
        { id: 'a', text: 'am' },
        { id: 'b', text: 'is' },
        { id: 'c', text: 'are' },
      ],
      answer: 'a',
      explanation: 'With I we always use am: I am (I\'m) a student.',
    },
    {
      key: 't2',
      type: 'fill_blank',
      prompt: "Write the correct form of 'be': My parents ___ from Spain.",
      answers: ['are'],
      explanation: 'My parents = they, and with they we use are.',
    },
    {
      key: 't3',
      type: 'multiple_choice',
      prompt: 'Choose the correct word: She ___ two brothers.',
      options: [
        { id: 'a', text: 'have' },
        { id: 'b', text: 'has' },
        { id: 'c', text: 'is' },
      ],
      answer: 'b',
      explanation: 'With he, she and it we use has, not have: she has, he has, it has.',
    },
    {
      key: 't4',
      type: 'fill_blank',
      prompt: "Write the correct form of 'have': Tom ___ breakfast at seven o'clock every day.",
      answers: ['has'],
      explanation: "Tom = he, so we use has. We say 'have breakfast', 'have lunch' and 'have dinner' for meals.",
    },
    {
      key: 't5',
      type: 'fill_blank',
      prompt: 'Complete the short answer. Is your brother at home? – No, he ___.',
      answers: ["isn't", 'is not'],
      explanation: "In short answers we use the verb be again: Yes, he is. / No, he isn't.",
    },
    {
      key: 't6',
      type: 'multiple_choice',
      prompt: 'Choose the correct word: I have ___ umbrella.',
      options: [
        { id: 'a', text: 'a' },
        { id: 'b', text: 'an' },
        { id: 'c', text: '(no word)' },
      ],
      answer: 'b',
      explanation: 'We use an before a vowel sound (a, e, i, o, u): an umbrella, an apple. One umbrella needs a or an.',
    },
    {
      key: 't7',
      type: 'fill_blank',
      prompt: 'Write a or an: My sister is ___ engineer.',
      answers: ['an'],
      explanation: 'We use a or an with jobs. Engineer starts with a vowel sound, so it is an engineer.',
    },
    {
      key: 't8',
      type: 'multiple_choice',
      prompt: 'Choose the correct word: ___ sun is very hot today.',
      options: [
        { id: 'a', text: 'A' },
        { id: 'b', text: 'An' },
        { id: 'c', text: 'The' },
      ],
      answer: 'c',
      explanation: 'There is only one sun, so we use the: the sun, the moon, the sky.',
    },
    {
      key: 't9',
      type: 'ordering',
      prompt: 'Put the words in the correct order.',
      items: ['teacher.', 'is', 'My', 'a', 'mother'],
      answer: 'My mother is a teacher.',
      explanation: 'In a sentence with be the order is: who (My mother) + be (is) + the rest (a teacher).',
    },
  ],
};
