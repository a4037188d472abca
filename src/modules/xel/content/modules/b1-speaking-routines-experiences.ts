import type { ModuleContent } from '../types.js';

export const module: ModuleContent = {
  slug: 'b1-speaking-routines-experiences',
  version: 1,
  title: 'Talking about your routine and past experiences',
  description:
    'You will be able to describe your daily routine and tell a short story about a past experience in a clear, connected way.',
  level: 'B1',
  skill: 'speaking',
  estimatedMinutes: 25,
  tasks: [
    {
      key: 't1',
      type: 'multiple_choice',
      prompt: 'Which sentence is the best way to start describing your usual routine?',
      options: [
        { id: 'a', text: 'On a typical weekday, I get up at about seven.' },
        { id: 'b', text: 'On a typical weekday, I am getting up at about seven.' },
        { id: 'c', text: 'On a typical weekday, I got up at about seven.' },
      ],
      answer: 'a',
      explanation:
        'We use the present simple for routines and habits: I get up, I go, I have. The present continuous is for things happening now.',
    },
    {
      key: 't2',
      type: 'multiple_choice',
      prompt: 'You need a moment to think while you are speaking. What is the best thing to do?',
      options: [
        { id: 'a', text: 'Say "Let me think..." and then continue.' },
        { id: 'b', text: 'Say "Um, um, um..." many times.' },
        { id: 'c', text: 'Say "Like, you know, like..." again and again.' },
        { id: 'd', text: 'Stop and say nothing for ten seconds.' },
      ],
      answer: 'a',
      explanation:
        'A short phrase like "Let me think..." or "Well..." gives you time and sounds natural. Repeating um or like, or a long silence, makes you harder to follow.',
    },
    {
      key: 't3',
      type: 'fill_blank',
      prompt: 'First I have a shower, and ___ that I have breakfast.',
      answers: ['after'],
      explanation:
        'Sequencing words help listeners follow your routine: first, after that, then, finally. "After that" means "next".',
    },
    {
      key: 't4',
      type: 'ordering',
      prompt: 'Put the phrases in the correct order to say what you enjoyed most about a trip.',
      items: ['the best part', 'we reached the top.', 'was when', 'For me,'],
      answer: 'For me, the best part was when we reached the top.',
      explanation:
        '"For me, the best part was when..." is a useful phrase for the high point of a story. The verb after when is in the past simple.',
    },
    {
      key: 't5',
      type: 'speaking',
      prompt:
        'Describe your typical weekday. Say when you get up, what you do in the morning and afternoon, and how you relax in the evening.',
      targetSeconds: 60,
      minWords: 70,
      keywords: ['usually', 'get up', 'morning', 'afternoon', 'evening', 'breakfast', 'then', 'after that', 'relax'],
      explanation:
        'Use the present simple, frequency words (usually, often, sometimes) and sequencing words (first, then, after that) to connect your ideas.',
    },
    {
      key: 't6',
      type: 'speaking',
      prompt:
        'Talk about a memorable trip or experience you have had. Say where and when it happened, who you were with, what happened, and how you felt about it.',
      targetSeconds: 90,
      minWords: 100,
      keywords: ['ago', 'went', 'remember', 'with', 'happened', 'felt', 'best part', 'because'],
      explanation:
        'Start by setting the scene (when, where, who), tell the events in order in the past simple, and finish with how you felt and why.',
    },
    {
      key: 't7',
      type: 'speaking',
      prompt:
        'Compare your weekday routine with your weekend routine. What is different, and which do you prefer? Explain why.',
      targetSeconds: 60,
      minWords: 70,
      keywords: ['weekday', 'weekend', 'usually', 'different', 'prefer', 'because', 'but', 'more'],
      explanation:
        'Use linking words for contrast (but, whereas, on the other hand) and give a clear reason for your preference with because.',
    },
  ],
};
