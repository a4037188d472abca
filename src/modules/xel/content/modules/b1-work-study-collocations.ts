import type { ModuleContent } from '../types.js';

export const module: ModuleContent = {
  slug: 'b1-work-study-collocations',
  version: 1,
  title: 'Collocations for work and study',
  description:
    'You will be able to use common word partnerships for work and study, such as make a decision, do homework, take notes and give a presentation.',
  level: 'B1',
  skill: 'vocabulary',
  estimatedMinutes: 20,
  tasks: [
    {
      key: 't1',
      type: 'multiple_choice',
      prompt: 'I need to ___ a decision about which university to choose.',
      options: [
        { id: 'a', text: 'do' },
        { id: 'b', text: 'make' },
        { id: 'c', text: 'put' },
        { id: 'd', text: 'get' },
      ],
      answer: 'b',
      explanation: 'We say make a decision. Make often goes with choices and results: make a decision, make a plan, make a mistake.',
    },
    {
      key: 't2',
      type: 'fill_blank',
      prompt: "Complete with the correct form of 'make' or 'do': I always ___ my homework before dinner.",
      answers: ['do'],
      explanation: 'We say do homework. Do often goes with tasks and work: do homework, do the shopping, do an exercise.',
    },
    {
      key: 't3',
      type: 'fill_blank',
      prompt: "Complete with the correct form of 'make' or 'do': My English is getting better – I'm ___ good progress.",
      answers: ['making'],
      explanation: 'We say make progress. After I\'m we need the -ing form: I\'m making progress.',
    },
    {
      key: 't4',
      type: 'multiple_choice',
      prompt: 'She applied ___ a job at a bank and got an interview.',
      options: [
        { id: 'a', text: 'for' },
        { id: 'b', text: 'to' },
        { id: 'c', text: 'at' },
        { id: 'd', text: 'on' },
      ],
      answer: 'a',
      explanation: 'We apply for a job (or a place, a visa, a grant). We apply to an organisation: She applied to the bank.',
    },
    {
      key: 't5',
      type: 'multiple_choice',
      prompt: 'Tomorrow I have to ___ a presentation to the whole team.',
      options: [
        { id: 'a', text: 'say' },
        { id: 'b', text: 'give' },
        { id: 'c', text: 'tell' },
        { id: 'd', text: 'speak' },
      ],
      answer: 'b',
      explanation: 'We give a presentation (or a talk, a speech). Say, tell and speak do not go with presentation.',
    },
    {
      key: 't6',
      type: 'multiple_choice',
      prompt: 'Which verb goes with all three of these: notes, an exam, a break?',
      options: [
        { id: 'a', text: 'take' },
        { id: 'b', text: 'make' },
        { id: 'c', text: 'do' },
        { id: 'd', text: 'pass' },
      ],
      answer: 'a',
      explanation:
        'Only take fits all three: take notes, take an exam, take a break. We can say make notes or pass an exam, but not make a break or pass a break.',
    },
    {
      key: 't7',
      type: 'multiple_choice',
      prompt: 'My sister works in a shop, and she ___ about £1,800 a month.',
      options: [
        { id: 'a', text: 'wins' },
        { id: 'b', text: 'earns' },
        { id: 'c', text: 'gains' },
        { id: 'd', text: 'pays' },
      ],
      answer: 'b',
      explanation: 'You earn money by working. You win money in a competition or game.',
    },
    {
      key: 't8',
      type: 'multiple_choice',
      prompt: "If you don't get a good enough mark, you ___ the exam.",
      options: [
        { id: 'a', text: 'fail' },
        { id: 'b', text: 'lose' },
        { id: 'c', text: 'miss' },
        { id: 'd', text: 'drop' },
      ],
      answer: 'a',
      explanation:
        'The opposite of pass an exam is fail an exam. If you miss an exam, you do not go to it at all.',
    },
    {
      key: 't9',
      type: 'ordering',
      prompt: 'Put the words and phrases in the correct order.',
      items: ['attend', 'I', 'a meeting', 'have to', 'at nine.'],
      answer: 'I have to attend a meeting at nine.',
      explanation: 'We attend a meeting (go to it). Have to comes before the main verb, and the time usually goes at the end.',
    },
  ],
};
