import type { ModuleContent } from '../types.js';

export const module: ModuleContent = {
  slug: 'b1-present-perfect-past-simple',
  version: 1,
  title: 'Present perfect or past simple?',
  description:
    'You will be able to choose between the present perfect and the past simple when talking about experiences, unfinished periods and finished past times.',
  level: 'B1',
  skill: 'grammar',
  estimatedMinutes: 20,
  tasks: [
    {
      key: 't1',
      type: 'multiple_choice',
      prompt: "I ___ to Japan three times so far, and I'm going again next spring.",
      options: [
        { id: 'a', text: 'have been' },
        { id: 'b', text: 'went' },
        { id: 'c', text: 'was' },
        { id: 'd', text: 'had been' },
      ],
      answer: 'a',
      explanation:
        '"So far" means "from the past until now", so we use the present perfect to talk about experience up to the present.',
    },
    {
      key: 't2',
      type: 'fill_blank',
      prompt: 'Write the correct form of the verb in brackets: We ___ (move) to Manchester in 2019.',
      answers: ['moved'],
      explanation: '"In 2019" is a finished time in the past, so we use the past simple, not the present perfect.',
    },
    {
      key: 't3',
      type: 'fill_blank',
      prompt: 'Write the correct form of the verb in brackets: She ___ (live) in this flat since 2015.',
      answers: ['has lived', "'s lived", 'has been living', "'s been living"],
      explanation:
        'With since we use the present perfect (or present perfect continuous) for a situation that started in the past and is still true now.',
    },
    {
      key: 't4',
      type: 'multiple_choice',
      prompt: 'Have you finished your homework? – Yes, I ___ it an hour ago.',
      options: [
        { id: 'a', text: 'have finished' },
        { id: 'b', text: 'finished' },
        { id: 'c', text: 'have been finishing' },
      ],
      answer: 'b',
      explanation:
        '"An hour ago" gives a finished past time, so we must use the past simple. The present perfect never goes with ago.',
    },
    {
      key: 't5',
      type: 'multiple_choice',
      prompt: 'Which sentence is correct?',
      options: [
        { id: 'a', text: 'I have seen that film last week.' },
        { id: 'b', text: 'I saw that film last week.' },
        { id: 'c', text: 'I have saw that film last week.' },
      ],
      answer: 'b',
      explanation:
        '"Last week" is a finished time, so we use the past simple: I saw. After have we need the past participle (seen), never saw.',
    },
    {
      key: 't6',
      type: 'fill_blank',
      prompt: 'Write the correct form of the verb in brackets: This is the first time I ___ (fly) in a helicopter.',
      answers: ['have flown', "'ve flown", 'have ever flown', "'ve ever flown"],
      explanation:
        'After "This is the first time..." we use the present perfect, because we are talking about our experience up to now.',
    },
    {
      key: 't7',
      type: 'fill_blank',
      prompt: "A: How long ___ you known Maria? B: For about ten years. We met at university, and we're still close friends.",
      answers: ['have'],
      explanation:
        'Known is a past participle, so the question needs have: How long have you known...? It asks about a period that continues until now.',
    },
    {
      key: 't8',
      type: 'multiple_choice',
      prompt: 'When ___ you start learning English?',
      options: [
        { id: 'a', text: 'have' },
        { id: 'b', text: 'did' },
        { id: 'c', text: 'has' },
      ],
      answer: 'b',
      explanation:
        'Questions with when ask about a specific time in the past, so we use the past simple: When did you start...?',
    },
    {
      key: 't9',
      type: 'ordering',
      prompt: 'Put the words in the correct order.',
      items: ['worked', 'for', 'She', 'ten', 'has', 'years.', 'here'],
      answer: 'She has worked here for ten years.',
      explanation:
        'Present perfect + for + a period shows that she started ten years ago and still works here. The place (here) comes before the time (for ten years).',
    },
  ],
};
