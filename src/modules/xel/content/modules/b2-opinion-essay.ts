import type { ModuleContent } from '../types.js';

export const module: ModuleContent = {
  slug: 'b2-opinion-essay',
  version: 1,
  title: 'Writing an opinion essay',
  description:
    'You will be able to write a clearly organised opinion essay with a thesis statement, supported arguments, a response to the opposing view and a formal conclusion.',
  level: 'B2',
  skill: 'writing',
  estimatedMinutes: 30,
  tasks: [
    {
      key: 't1',
      type: 'multiple_choice',
      prompt: 'Which sentence is the most effective thesis statement for an opinion essay about free public transport?',
      options: [
        { id: 'a', text: 'In this essay I will talk about some things about public transport.' },
        {
          id: 'b',
          text: 'Although cars offer convenience, I believe cities should make public transport free, as this would reduce both congestion and pollution.',
        },
        { id: 'c', text: 'Public transport includes buses, trams and trains.' },
        { id: 'd', text: 'Everybody knows that public transport is amazing!' },
      ],
      answer: 'b',
      explanation:
        'A thesis statement gives a clear position and the main reasons for it. The others are vague, purely factual or overstated and informal.',
    },
    {
      key: 't2',
      type: 'fill_blank',
      prompt:
        'Complete with Furthermore, However or Therefore: Free public transport would be expensive for local councils. ___, the savings on road repairs and healthcare could cover much of the cost.',
      answers: ['However'],
      explanation:
        'The second sentence contrasts with the first (a cost versus savings), so we need a contrast linker. Furthermore adds a similar point and Therefore introduces a result.',
    },
    {
      key: 't3',
      type: 'multiple_choice',
      prompt: 'Which sentence is most appropriate in a formal essay?',
      options: [
        { id: 'a', text: "Loads of people reckon it's a rubbish idea." },
        { id: 'b', text: 'Many people argue that the idea is impractical.' },
        { id: 'c', text: "Tons of folks think it's kind of pointless." },
      ],
      answer: 'b',
      explanation:
        'Formal essays avoid slang and vague informal words such as loads, reckon, rubbish and tons of folks. "Many people argue" is neutral and precise.',
    },
    {
      key: 't4',
      type: 'multiple_choice',
      prompt: 'Which is the best way to introduce an opposing view before responding to it?',
      options: [
        { id: 'a', text: 'Some people disagree, but they are obviously wrong.' },
        { id: 'b', text: 'Critics argue that the cost is too high; however, this overlooks the long-term savings.' },
        { id: 'c', text: 'I do not care what other people think about this issue.' },
      ],
      answer: 'b',
      explanation:
        'A strong essay presents the opposing argument fairly and then answers it with a reason. Simply dismissing other views makes your argument weaker.',
    },
    {
      key: 't5',
      type: 'ordering',
      prompt: 'Put the phrases in the correct order to make a concluding sentence.',
      items: ['In conclusion,', 'outweigh the drawbacks.', 'the benefits', 'I firmly believe that'],
      answer: 'In conclusion, I firmly believe that the benefits outweigh the drawbacks.',
      explanation:
        'A conclusion signals the end (In conclusion), restates your opinion (I firmly believe that) and summarises your position (the benefits outweigh the drawbacks).',
    },
    {
      key: 't6',
      type: 'writing',
      prompt:
        'Some people believe that university education should be free for all students. Write an opinion essay giving your view. Include an introduction with a clear thesis, two paragraphs with reasons and examples, a paragraph that responds to the opposing view, and a conclusion.',
      minWords: 180,
      maxWords: 280,
      keywords: ['university', 'free', 'tuition', 'students', 'government', 'taxes', 'opportunity', 'debt', 'however', 'in conclusion'],
      explanation:
        'Keep a formal register, state your opinion clearly in the introduction, support each body paragraph with a reason and an example, and answer the opposing view rather than ignoring it.',
    },
    {
      key: 't7',
      type: 'writing',
      prompt:
        '"Working from home is better for employees than working in an office." To what extent do you agree? Write an opinion essay with a clear thesis, supporting arguments, a response to the opposing view and a conclusion.',
      minWords: 180,
      maxWords: 280,
      keywords: ['working from home', 'office', 'employees', 'productivity', 'colleagues', 'commute', 'flexibility', 'balance', 'however'],
      explanation:
        '"To what extent" invites a balanced answer: you can partly agree, but your position must be clear and consistent from the introduction to the conclusion.',
    },
  ],
};
